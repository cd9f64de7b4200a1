{#
    The JSON value at `path` ('$.a.b') of a parsed JSON value, null when absent: DuckDB's `->`
    on JSON, Spark's `try_variant_get` on the VARIANT that Spark parses JSON into.
#}
{% macro json_get(value, path) %}
    {{ return(adapter.dispatch('json_get', 'lakehouse')(value, path)) }}
{% endmacro %}

{% macro duckdb__json_get(value, path) -%}
    ({{ value }} -> '{{ path }}')
{%- endmacro %}

{% macro default__json_get(value, path) -%}
    try_variant_get({{ value }}, '{{ path }}', 'variant')
{%- endmacro %}
