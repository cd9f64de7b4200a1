{#
    The statement that appends a batch (`batch`, a temporary relation) to a feed's existing
    table, after the table's columns follow the batch's (`on_schema_change`): DuckDB widens
    column types first and appends by column name (dbt-duckdb's append strategy); Spark
    inserts the batch (dbt-spark's `get_insert_into_sql`).
#}
{% macro bronze_append_sql(batch, target, existing, on_schema_change) %}
    {{ return(adapter.dispatch('bronze_append_sql', 'lakehouse')(batch, target, existing, on_schema_change)) }}
{% endmacro %}

{% macro duckdb__bronze_append_sql(batch, target, existing, on_schema_change) %}
    {% do adapter.expand_target_column_types(from_relation=batch, to_relation=target) %}
    {% set dest_columns = process_schema_changes(on_schema_change, batch, existing)
        or adapter.get_columns_in_relation(existing) %}
    {{ return(get_incremental_append_sql({
        'target_relation': target, 'temp_relation': batch, 'dest_columns': dest_columns})) }}
{% endmacro %}

{% macro default__bronze_append_sql(batch, target, existing, on_schema_change) %}
    {% do process_schema_changes(on_schema_change, batch, existing) %}
    {{ return(get_insert_into_sql(batch, target)) }}
{% endmacro %}
