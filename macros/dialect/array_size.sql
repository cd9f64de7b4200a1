{#
    The number of elements of an array (null for null): DuckDB's `len`, Spark's `array_size`
    (Spark's `len` counts characters).
#}
{% macro array_size(expression) %}
    {{ return(adapter.dispatch('array_size', 'lakehouse')(expression)) }}
{% endmacro %}

{% macro duckdb__array_size(expression) -%}
    len({{ expression }})
{%- endmacro %}

{% macro default__array_size(expression) -%}
    array_size({{ expression }})
{%- endmacro %}
