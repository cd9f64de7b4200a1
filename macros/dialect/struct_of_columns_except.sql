{#
    One struct of every column of a query's FROM but `columns`, so a row's values are carried,
    compared and hashed as one value: DuckDB's `struct_pack(*columns(* exclude (...)))`,
    Spark's `struct(* except (...))`. `struct.*` expands it again on both engines.
#}
{% macro struct_of_columns_except(columns) %}
    {{ return(adapter.dispatch('struct_of_columns_except', 'lakehouse')(columns)) }}
{% endmacro %}

{% macro duckdb__struct_of_columns_except(columns) -%}
    struct_pack(*columns(* exclude ({{ columns | join(', ') }})))
{%- endmacro %}

{% macro default__struct_of_columns_except(columns) -%}
    struct(* except ({{ columns | join(', ') }}))
{%- endmacro %}
