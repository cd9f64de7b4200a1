{#
    Text parsed as JSON, null when it is not JSON (a JSON `null` parses to a JSON null value,
    not to SQL null): DuckDB's JSON type, Spark's VARIANT (`try_parse_json`).
#}
{% macro json_parse(text) %}
    {{ return(adapter.dispatch('json_parse', 'lakehouse')(text)) }}
{% endmacro %}

{% macro duckdb__json_parse(text) -%}
    try_cast({{ text }} as json)
{%- endmacro %}

{% macro default__json_parse(text) -%}
    try_parse_json({{ text }})
{%- endmacro %}
