{#
    Ends a feed's batch once its rows and ledger are written: DuckDB commits the batch's
    transaction and drops the temporary relation of appended rows (`batch`, none on a first run
    or a full refresh); Spark has no transaction to commit (its ledger rows are the commit).
#}
{% macro bronze_end_batch(batch) %}
    {{ return(adapter.dispatch('bronze_end_batch', 'lakehouse')(batch)) }}
{% endmacro %}

{% macro duckdb__bronze_end_batch(batch) %}
    {% do adapter.commit() %}
    {% if batch is not none %}
        {% do run_query('drop table if exists ' ~ batch.include(database=false, schema=false)) %}
    {% endif %}
{% endmacro %}

{% macro default__bronze_end_batch(batch) %}
{% endmacro %}
