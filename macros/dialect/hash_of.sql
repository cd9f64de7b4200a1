{#
    A 64-bit hash of the `expressions` (a list of SQL expressions): DuckDB's `hash`; on Spark
    `xxhash64`, not `hash`, which is 32 bits.
#}
{% macro hash_of(expressions) %}
    {{ return(adapter.dispatch('hash_of', 'lakehouse')(expressions)) }}
{% endmacro %}

{% macro duckdb__hash_of(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro default__hash_of(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}
