{#
    The select of the fields seen in the row images (`img`) of a batch's loadable lines, each
    with the first file it was seen in (`field`, `path`): DuckDB's `json_keys`, Spark's
    `variant_explode`.
#}
{% macro bronze_observed_fields(lines) %}
    {{ return(adapter.dispatch('bronze_observed_fields', 'lakehouse')(lines)) }}
{% endmacro %}

{% macro duckdb__bronze_observed_fields(lines) %}
    select field, min(path) as path
    from (select path, unnest(json_keys(img)) as field from {{ lines }} where _reason is null)
    group by field
{% endmacro %}

{% macro default__bronze_observed_fields(lines) %}
    select key as field, min(path) as path
    from {{ lines }}, lateral variant_explode(img)
    where _reason is null
    group by key
{% endmacro %}
