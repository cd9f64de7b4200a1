{#
    A CTE's `materialized` or `not materialized` hint (`name as {{ materialization_hint(...) }}
    (...)`): DuckDB copies a CTE read more than once unless told not to, and the choice decides
    whether a first build copies millions of rows (see `batch_materialization`). Spark has no
    such hint (it plans each reference itself), so there it renders nothing.
#}
{% macro materialization_hint(hint) %}
    {{ return(adapter.dispatch('materialization_hint', 'lakehouse')(hint)) }}
{% endmacro %}

{% macro duckdb__materialization_hint(hint) -%}
    {{ hint }}
{%- endmacro %}

{% macro default__materialization_hint(hint) -%}
{%- endmacro %}
