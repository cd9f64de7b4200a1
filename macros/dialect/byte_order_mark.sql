{#
    The Unicode byte order mark (U+FEFF) as a one-character string: DuckDB's `chr` takes any
    code point, Spark's only ASCII (a `\u` escape in a literal instead).
#}
{% macro byte_order_mark() %}
    {{ return(adapter.dispatch('byte_order_mark', 'lakehouse')()) }}
{% endmacro %}

{% macro duckdb__byte_order_mark() -%}
    chr(65279)
{%- endmacro %}

{% macro default__byte_order_mark() -%}
    '\uFEFF'
{%- endmacro %}
