{#
    One row per day from `start_date` to `end_date` (SQL date expressions), as column
    `date_day`. dbt_utils.date_spine is on dbt Hub, out of reach; the SQL differs by engine, so
    it is dispatched: DuckDB's generate_series, Spark's sequence.
#}
{% macro date_spine(start_date, end_date) %}
    {{ return(adapter.dispatch('date_spine', 'lakehouse')(start_date, end_date)) }}
{% endmacro %}

{% macro duckdb__date_spine(start_date, end_date) %}
    select cast(unnest(generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day
    )) as date) as date_day
{% endmacro %}

{% macro default__date_spine(start_date, end_date) %}
    select explode(sequence(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
    )) as date_day
{% endmacro %}
