{#
    A hexadecimal string as an exact number (`decimal(38,0)`), null when it is not one: DuckDB
    casts a `0x` literal, Spark converts with `conv`.
#}
{% macro hex_to_decimal(text) %}
    {{ return(adapter.dispatch('hex_to_decimal', 'lakehouse')(text)) }}
{% endmacro %}

{% macro duckdb__hex_to_decimal(text) -%}
    try_cast(('0x' || {{ text }}) as ubigint)::decimal(38, 0)
{%- endmacro %}

{% macro default__hex_to_decimal(text) -%}
    cast(conv({{ text }}, 16, 10) as decimal(38, 0))
{%- endmacro %}
