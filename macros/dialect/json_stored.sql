{#
    A parsed JSON value as a bronze column stores it: DuckDB's JSON type as it is; JSON text on
    Spark (its Parquet tables hold no VARIANT here).
#}
{% macro json_stored(value) %}
    {{ return(adapter.dispatch('json_stored', 'lakehouse')(value)) }}
{% endmacro %}

{% macro duckdb__json_stored(value) -%}
    {{ value }}
{%- endmacro %}

{% macro default__json_stored(value) -%}
    to_json({{ value }})
{%- endmacro %}
