{#
    The `_rescued_data` column of a bronze batch: a JSON object of field -> original value, of
    the `entries` ((field name, SQL expression of the parsed JSON value or null) pairs) whose
    value is not null; null when there is none. JSON on DuckDB, JSON text on Spark.
#}
{% macro bronze_rescued_data(entries) %}
    {{ return(adapter.dispatch('bronze_rescued_data', 'lakehouse')(entries)) }}
{% endmacro %}

{% macro duckdb__bronze_rescued_data(entries) %}
    {%- set structs = [] -%}
    {%- for name, value in entries -%}
        {%- do structs.append("{'k': '" ~ name ~ "', 'v': " ~ value ~ "}") -%}
    {%- endfor -%}
    {%- set kept = 'list_filter([' ~ structs | join(', ')
        ~ ']::struct(k varchar, v json)[], entry -> entry.v is not null)' -%}
    {#- the kept entries bound once (DuckDB's "let": see bronze_typed_json) -#}
    list_transform([{{ kept }}], kept -> case
        when len(kept) > 0 then map_from_entries(kept)::json
    end)[1]
{%- endmacro %}

{% macro default__bronze_rescued_data(entries) %}
    {%- set structs = [] -%}
    {%- for name, value in entries -%}
        {%- do structs.append("named_struct('k', '" ~ name ~ "', 'v', " ~ value ~ ")") -%}
    {%- endfor -%}
    {%- set kept = 'filter(array(' ~ structs | join(', ') ~ '), entry -> entry.v is not null)'
        if structs else 'cast(array() as array<struct<k: string, v: variant>>)' -%}
    case when size({{ kept }}) > 0 then to_json(map_from_entries({{ kept }})) end
{%- endmacro %}
