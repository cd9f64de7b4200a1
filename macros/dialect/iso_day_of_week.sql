{#
    The ISO day of the week, 1 (Monday) to 7 (Sunday): DuckDB calls the date part `isodow`,
    Spark `dayofweek_iso`.
#}
{% macro iso_day_of_week(expression) %}
    {{ return(adapter.dispatch('iso_day_of_week', 'lakehouse')(expression)) }}
{% endmacro %}

{% macro duckdb__iso_day_of_week(expression) -%}
    extract(isodow from {{ expression }})
{%- endmacro %}

{% macro default__iso_day_of_week(expression) -%}
    extract(dayofweek_iso from {{ expression }})
{%- endmacro %}
