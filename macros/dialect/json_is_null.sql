{#
    Whether a parsed JSON value is JSON's `null` (not SQL null): DuckDB's `json_type`, Spark's
    `is_variant_null`.
#}
{% macro json_is_null(value) %}
    {{ return(adapter.dispatch('json_is_null', 'lakehouse')(value)) }}
{% endmacro %}

{% macro duckdb__json_is_null(value) -%}
    (json_type({{ value }}) = 'NULL')
{%- endmacro %}

{% macro default__json_is_null(value) -%}
    is_variant_null({{ value }})
{%- endmacro %}
