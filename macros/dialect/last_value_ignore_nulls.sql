{#
    `last_value` of `expression` skipping nulls, before its `over (...)`: DuckDB writes
    IGNORE NULLS inside the call, Spark after it.
#}
{% macro last_value_ignore_nulls(expression) %}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'lakehouse')(expression)) }}
{% endmacro %}

{% macro duckdb__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro default__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}) ignore nulls
{%- endmacro %}
