{#
    A parsed JSON value written back as JSON text: DuckDB's JSON is text already, Spark's
    VARIANT is written with `to_json` (keys sorted, numbers normalised).
#}
{% macro json_serialize(value) %}
    {{ return(adapter.dispatch('json_serialize', 'lakehouse')(value)) }}
{% endmacro %}

{% macro duckdb__json_serialize(value) -%}
    {{ value }}::varchar
{%- endmacro %}

{% macro default__json_serialize(value) -%}
    to_json({{ value }})
{%- endmacro %}
