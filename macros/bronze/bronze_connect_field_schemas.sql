{#
    Kafka Connect's schema of the row struct (the envelope's `after` field) of the wrapped
    lines in the CTE `enveloped`, once per distinct schema (its column `schema_text`, the
    schema as JSON text): `schema_text` and `field_schemas`, field -> {field, type, name, parameters} (a JSON object on
    DuckDB, a map of structs on Spark, which `bronze_typed_json` reads). `bronze_no_field_schemas`
    is the same column, null, for a line without a schema.
#}
{% macro bronze_connect_field_schemas(enveloped) %}
    {{ return(adapter.dispatch('bronze_connect_field_schemas', 'lakehouse')(enveloped)) }}
{% endmacro %}

{% macro duckdb__bronze_connect_field_schemas(enveloped) %}
    select schema_text, json_group_object(f ->> '$.field', f) as field_schemas
    from (
        select schema_text, unnest(json_extract(row_schema, '$.fields[*]')) as f
        from (
            select schema_text, unnest(json_extract(schema_text, '$.fields[*]')) as row_schema
            from (
                select distinct schema_text
                from {{ enveloped }}
                where is_wrapped
            )
        )
        where (row_schema ->> '$.field') = 'after'
    )
    group by schema_text
{% endmacro %}

{% macro default__bronze_connect_field_schemas(enveloped) %}
    {% set connect_schema = 'struct<fields: array<struct<field: string, fields: array<struct<'
        ~ 'field: string, type: string, name: string, parameters: map<string, string>>>>>>' %}
    select
        schema_text,
        map_from_entries(transform(
            filter(from_json(schema_text, '{{ connect_schema }}').fields,
                f -> f.field = 'after')[0].fields,
            f -> struct(f.field, f)
        )) as field_schemas
    from (
        select distinct schema_text
        from {{ enveloped }}
        where is_wrapped
    ) as schemas
{% endmacro %}
