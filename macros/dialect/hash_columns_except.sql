{#
    A 64-bit hash of every column of a query's FROM but `columns`, and of the `extra`
    expressions: the value that tells whether a row changed. DuckDB's `hash(*columns(...))`;
    on Spark `xxhash64`, not `hash`, which is 32 bits and would let two different versions
    collide about once in four billion comparisons.
#}
{% macro hash_columns_except(columns, extra=[]) %}
    {{ return(adapter.dispatch('hash_columns_except', 'lakehouse')(columns, extra)) }}
{% endmacro %}

{% macro duckdb__hash_columns_except(columns, extra=[]) -%}
    hash(*columns(* exclude ({{ columns | join(', ') }})){% for e in extra %}, {{ e }}{% endfor %})
{%- endmacro %}

{% macro default__hash_columns_except(columns, extra=[]) -%}
    xxhash64(* except ({{ columns | join(', ') }}){% for e in extra %}, {{ e }}{% endfor %})
{%- endmacro %}
