{#
    Deletes the rows of `relation` that match `condition`, on an engine whose Parquet tables
    have no DELETE (Spark without Delta), by rewriting the rest (`overwrite_with`). Nothing is
    written when no row matches. Used by the Spark `bronze_feed` materialization on the
    ledger, the quarantine and a feed's table. On Databricks (Delta) it is a DELETE, which
    rewrites only the files that hold matching rows, in one commit.
#}
{% macro bronze_rewrite_without(relation, condition) %}
    {{ return(adapter.dispatch('bronze_rewrite_without', 'lakehouse')(relation, condition)) }}
{% endmacro %}

{% macro databricks__bronze_rewrite_without(relation, condition) %}
    {% do run_query("delete from " ~ relation ~ " where " ~ condition) %}
{% endmacro %}

{% macro default__bronze_rewrite_without(relation, condition) %}
    {% set matching = run_query(
        "select count(*) from " ~ relation ~ " where " ~ condition).columns[0].values()[0] %}
    {% if matching > 0 %}
        {% do overwrite_with(relation,
            "select * from " ~ relation ~ " where not coalesce(" ~ condition ~ ", false)") %}
    {% endif %}
{% endmacro %}
