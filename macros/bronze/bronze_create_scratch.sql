{#
    Creates (or replaces) a scratch relation of a batch from a select: a temporary table on
    DuckDB; a cached temporary view on Spark, so that its rows are computed once and stay as
    they were when the landing files they came from change.
#}
{% macro bronze_create_scratch(name, sql) %}
    {{ return(adapter.dispatch('bronze_create_scratch', 'lakehouse')(name, sql)) }}
{% endmacro %}

{% macro duckdb__bronze_create_scratch(name, sql) %}
    {% do run_query('create or replace temp table ' ~ name ~ ' as ' ~ sql) %}
{% endmacro %}

{% macro default__bronze_create_scratch(name, sql) %}
    {% do run_query('drop view if exists ' ~ name) %}
    {% do run_query('uncache table if exists ' ~ name) %}
    {% do run_query('cache table ' ~ name ~ ' as ' ~ sql) %}
{% endmacro %}
