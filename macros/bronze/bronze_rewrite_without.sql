{#
    Deletes the rows of `relation` that match `condition`: a DELETE on DuckDB and on
    Databricks (Delta: only the files that hold matching rows are rewritten, in one commit); on
    an engine whose Parquet tables have no DELETE (Spark without Delta) by rewriting the rest
    (`overwrite_with`), nothing written when no row matches. Used by the `bronze_feed`
    materialization on the ledger, the quarantine and a feed's table.
#}
{% macro bronze_rewrite_without(relation, condition) %}
    {{ return(adapter.dispatch('bronze_rewrite_without', 'lakehouse')(relation, condition)) }}
{% endmacro %}

{% macro default__bronze_rewrite_without(relation, condition) %}
    {% do run_query("delete from " ~ relation ~ " where " ~ condition) %}
{% endmacro %}

{# Databricks is dispatched to Spark's macros first: its Delta tables have DELETE #}
{% macro databricks__bronze_rewrite_without(relation, condition) %}
    {% do lakehouse.default__bronze_rewrite_without(relation, condition) %}
{% endmacro %}

{% macro spark__bronze_rewrite_without(relation, condition) %}
    {% set matching = run_query(
        "select count(*) from " ~ relation ~ " where " ~ condition).columns[0].values()[0] %}
    {% if matching > 0 %}
        {% do overwrite_with(relation,
            "select * from " ~ relation ~ " where not coalesce(" ~ condition ~ ", false)") %}
    {% endif %}
{% endmacro %}
