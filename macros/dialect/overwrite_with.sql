{#
    Replaces every row of `relation` with the rows of `select_sql`, which may read `relation`
    itself: how a Parquet table is changed in place on Spark, which has no DELETE or MERGE
    without Delta and cannot overwrite a table that the same statement reads. The rows are
    written to a scratch table `<relation>__keep` first, then written back with INSERT
    OVERWRITE, and the scratch table is dropped. It costs a rewrite of the table. `cached`: the
    views `select_sql` reads more than once (Spark computes a view again for each read, and a
    view of dbt's incremental models is the whole model's query), held in Spark's cache for the
    statement so that each is computed once.
#}
{% macro overwrite_with(relation, select_sql, cached=[]) %}
    {% set keep = relation.incorporate(path={'identifier': relation.identifier ~ '__keep'}) %}
    {% do run_query("drop table if exists " ~ keep) %}
    {% for view in cached %}{% do run_query("cache table " ~ view) %}{% endfor %}
    {% do run_query("create table " ~ keep ~ " using parquet as " ~ select_sql) %}
    {% for view in cached %}{% do run_query("uncache table " ~ view) %}{% endfor %}
    {% do run_query("insert overwrite table " ~ relation ~ " select * from " ~ keep) %}
    {% do run_query("drop table " ~ keep) %}
{% endmacro %}
