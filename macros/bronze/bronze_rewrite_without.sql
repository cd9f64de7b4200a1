{#
    Deletes the rows of `relation` that match `condition`, on an engine whose Parquet tables
    have no DELETE (Spark without Delta): the rows to keep are copied to a scratch table and
    written back with INSERT OVERWRITE (Spark cannot overwrite a table it reads in the same
    statement). Nothing is written when no row matches. Used by the Spark `bronze_feed`
    materialization on the ledger, the quarantine and a feed's table.
#}
{% macro bronze_rewrite_without(relation, condition) %}
    {% set matching = run_query(
        "select count(*) from " ~ relation ~ " where " ~ condition).columns[0].values()[0] %}
    {% if matching > 0 %}
        {% set keep = relation.incorporate(path={'identifier': relation.identifier ~ '__keep'}) %}
        {% do run_query("drop table if exists " ~ keep) %}
        {% do run_query("create table " ~ keep ~ " using parquet as select * from " ~ relation
            ~ " where not coalesce(" ~ condition ~ ", false)") %}
        {% do run_query("insert overwrite table " ~ relation ~ " select * from " ~ keep) %}
        {% do run_query("drop table " ~ keep) %}
    {% endif %}
{% endmacro %}
