{#
    A SQL value as a parsed JSON value (to keep a value that did not fit its column): DuckDB's
    `to_json`, a VARIANT on Spark.
#}
{% macro json_from_value(expression) %}
    {{ return(adapter.dispatch('json_from_value', 'lakehouse')(expression)) }}
{% endmacro %}

{% macro duckdb__json_from_value(expression) -%}
    to_json({{ expression }})
{%- endmacro %}

{% macro default__json_from_value(expression) -%}
    cast({{ expression }} as variant)
{%- endmacro %}
