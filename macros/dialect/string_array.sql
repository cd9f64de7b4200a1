{#
    An array of strings built from SQL expressions (`expressions`, a list): DuckDB's list
    `[...]::varchar[]`, Spark's `array(...)`, typed even when empty or all null.
#}
{% macro string_array(expressions) %}
    {{ return(adapter.dispatch('string_array', 'lakehouse')(expressions)) }}
{% endmacro %}

{% macro duckdb__string_array(expressions) -%}
    [{{ expressions | join(', ') }}]::varchar[]
{%- endmacro %}

{% macro default__string_array(expressions) -%}
    cast(array({{ expressions | join(', ') }}) as array<string>)
{%- endmacro %}
