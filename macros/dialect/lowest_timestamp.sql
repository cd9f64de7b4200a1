{#
    A timestamp before any other, the watermark of a table that has applied nothing yet:
    DuckDB's '-infinity'; Spark has no infinite timestamps, so its first representable day.
#}
{% macro lowest_timestamp() %}
    {{ return(adapter.dispatch('lowest_timestamp', 'lakehouse')()) }}
{% endmacro %}

{% macro duckdb__lowest_timestamp() -%}
    '-infinity'::timestamp
{%- endmacro %}

{% macro default__lowest_timestamp() -%}
    timestamp '0001-01-01 00:00:00'
{%- endmacro %}
