{#
    `field_schemas` for lines without a Kafka Connect schema: null, typed as
    `bronze_connect_field_schemas` types it (JSON on DuckDB, a map of structs on Spark).
#}
{% macro bronze_no_field_schemas() %}
    {{ return(adapter.dispatch('bronze_no_field_schemas', 'lakehouse')()) }}
{% endmacro %}

{% macro duckdb__bronze_no_field_schemas() -%}
    null::json
{%- endmacro %}

{% macro default__bronze_no_field_schemas() -%}
    cast(null as map<string, struct<field: string, type: string, name: string,
        parameters: map<string, string>>>)
{%- endmacro %}
