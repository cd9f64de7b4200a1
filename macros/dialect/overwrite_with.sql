{#
    Replaces every row of `relation` with the rows of `select_sql`, which may read `relation`
    itself: how a Parquet table is changed in place on Spark, which has no DELETE or MERGE
    without Delta and cannot overwrite a table that the same statement reads. The rows are
    written to a scratch table `<relation>__keep` first, then written back with INSERT
    OVERWRITE, and the scratch table is dropped. It costs a rewrite of the table.
#}
{% macro overwrite_with(relation, select_sql) %}
    {% set keep = relation.incorporate(path={'identifier': relation.identifier ~ '__keep'}) %}
    {% do run_query("drop table if exists " ~ keep) %}
    {% do run_query("create table " ~ keep ~ " using parquet as " ~ select_sql) %}
    {% do run_query("insert overwrite table " ~ relation ~ " select * from " ~ keep) %}
    {% do run_query("drop table " ~ keep) %}
{% endmacro %}
