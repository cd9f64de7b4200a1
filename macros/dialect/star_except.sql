{#
    Every column of a query's FROM (or of `relation`, a table alias) but `columns`: DuckDB's
    `* exclude (...)`, Spark's `* except (...)`, which are the same thing spelled differently.
#}
{% macro star_except(columns, relation=none) %}
    {{ return(adapter.dispatch('star_except', 'lakehouse')(columns, relation)) }}
{% endmacro %}

{% macro duckdb__star_except(columns, relation=none) -%}
    {{ relation ~ '.' if relation }}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__star_except(columns, relation=none) -%}
    {{ relation ~ '.' if relation }}* except ({{ columns | join(', ') }})
{%- endmacro %}
