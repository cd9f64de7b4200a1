{#
    The value at `path` ('$.a.b') of a parsed JSON value as text (a string unquoted, a number
    as written), null when absent or JSON null: DuckDB's `->>`, Spark's `try_variant_get` as a
    string.
#}
{% macro json_text(value, path) %}
    {{ return(adapter.dispatch('json_text', 'lakehouse')(value, path)) }}
{% endmacro %}

{% macro duckdb__json_text(value, path) -%}
    ({{ value }} ->> '{{ path }}')
{%- endmacro %}

{% macro default__json_text(value, path) -%}
    try_variant_get({{ value }}, '{{ path }}', 'string')
{%- endmacro %}
