{#
    Whether a parsed JSON value is an object (null for SQL null): DuckDB's `json_type`, the
    type Spark's `schema_of_variant` names.
#}
{% macro json_is_object(value) %}
    {{ return(adapter.dispatch('json_is_object', 'lakehouse')(value)) }}
{% endmacro %}

{% macro duckdb__json_is_object(value) -%}
    (json_type({{ value }}) = 'OBJECT')
{%- endmacro %}

{% macro default__json_is_object(value) -%}
    startswith(schema_of_variant({{ value }}), 'OBJECT')
{%- endmacro %}
