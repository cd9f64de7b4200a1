{#
    Splits the staged JSON-lines files (duplicates and unreadable files left out; a UTF-8 byte
    order mark and CRLF line ends are accepted) into lines and classifies each one,
    so that every line ends in exactly one place. `_reason` is null for a line to load,
    'tombstone' for a `null` line (Debezium's delete tombstone: counted, not loaded), and
    otherwise the reason it is quarantined. A file whose last line is cut off (no final newline
    and not valid JSON) is quarantined whole: none of its lines load.
    For `debezium` feeds the envelope `e` is unwrapped from Kafka Connect's
    `{"schema", "payload"}` form when present, `img` is the row image (`after`, or `before`
    for a delete), `field_schemas` the Connect schema of its fields (null without a schema)
    and `_sequence` the change's place in the source's order (`debezium_sequence`);
    for `jsonl` feeds `e` and `img` are the line's object.
    Creates a temporary table and returns its name.
#}
{% macro bronze_json_lines(feed, stage) %}
    {{ return(adapter.dispatch('bronze_json_lines', 'lakehouse')(feed, stage)) }}
{% endmacro %}

{# DuckDB #}
{% macro duckdb__bronze_json_lines(feed, stage) %}
    {% set lines = '__bronze_lines_' ~ feed.name %}
    {% set root = landing_path() %}
    {% set files = run_query(
        "select full_path from " ~ stage ~ " where duplicate_of is null and is_readable order by path"
    ).columns[0].values() | list %}
    {% set is_debezium = feed.meta.format == 'debezium' %}
    {% if is_debezium %}
        {% set sequence = debezium_sequence(feed) %}
        {% set sequence_name = 'source.' ~ sequence.required | join('/')
            if sequence.required | length == 1 else 'sequence (' ~ feed.meta.get('sequence_by') ~ ')' %}
    {% endif %}
    {% set sql %}
        create or replace temp table {{ lines }} as
        with raw_texts as (
            select
                substr(filename, {{ root | length + 2 }}) as path,
                -- a UTF-8 byte order mark is not part of the first line
                case when starts_with(content, chr(65279)) then content[2:] else content end
                    as content
            from read_text({{ sql_string_list(files) }})
        ),
        texts as (
            select
                path,
                string_split(content, chr(10)) as parts,
                content <> '' and not ends_with(content, chr(10)) as no_final_newline
            from raw_texts
        ),
        numbered as (
            select
                path,
                no_final_newline,
                len(parts) as n_parts,
                unnest(parts) as raw_line,
                generate_subscripts(parts, 1) as line_no
            from texts
        ),
        parsed as (
            select
                path,
                line_no,
                rtrim(raw_line, chr(13)) as raw_line,
                json_valid(rtrim(raw_line, chr(13))) as is_json,
                bool_or(
                    line_no = n_parts and no_final_newline and not json_valid(raw_line)
                ) over (partition by path) as file_truncated,
                case when json_valid(rtrim(raw_line, chr(13))) then rtrim(raw_line, chr(13))::json end as j
            from numbered
            where not (line_no = n_parts and raw_line = '')
        ),
        enveloped as (
            select
                *,
                {% if is_debezium %}
                    coalesce(json_type(j) = 'OBJECT' and json_exists(j, '$.payload')
                        and json_exists(j, '$.schema'), false) as is_wrapped,
                    case
                        when json_type(j) = 'OBJECT' and json_exists(j, '$.payload')
                            and json_exists(j, '$.schema') then j -> '$.payload'
                        else j
                    end as e
                {% else %}
                    false as is_wrapped,
                    j as e
                {% endif %}
            from parsed
        ),
        {% if is_debezium %}
            -- Kafka Connect's schema of the row struct (the envelope's `after` field), once per
            -- distinct schema: a JSON object of field -> {type, name, parameters}
            field_schemas as (
                select schema_text, json_group_object(f ->> '$.field', f) as field_schemas
                from (
                    select schema_text, unnest(json_extract(row_schema, '$.fields[*]')) as f
                    from (
                        select schema_text, unnest(json_extract(schema_text, '$.fields[*]')) as row_schema
                        from (select distinct j ->> '$.schema' as schema_text from enveloped where is_wrapped)
                    )
                    where (row_schema ->> '$.field') = 'after'
                )
                group by schema_text
            ),
        {% endif %}
        imaged as (
            select
                enveloped.*,
                {% if is_debezium %}
                    {{ sequence.expression }} as _sequence,
                    field_schemas.field_schemas,
                    case when e ->> '$.op' = 'd' then e -> '$.before' else e -> '$.after' end
                {% else %}
                    null::decimal(38,0) as _sequence,
                    null::json as field_schemas,
                    e
                {% endif %} as img
            from enveloped
            {% if is_debezium %}
                left join field_schemas
                    on enveloped.is_wrapped and (enveloped.j ->> '$.schema') = field_schemas.schema_text
            {% endif %}
        )
        select
            *,
            case
                when file_truncated
                    then 'file truncated mid-line: quarantined whole'
                when trim(raw_line) = '' then 'empty line'
                when not is_json then 'malformed JSON'
                when json_type(e) = 'NULL' then 'tombstone'
                when json_type(e) <> 'OBJECT' then 'not a JSON object'
                {% if is_debezium %}
                    when (e ->> '$.op') is null then 'missing required field: op'
                    when (e ->> '$.op') not in ('c', 'u', 'd', 'r')
                        then 'unknown op: ' || (e ->> '$.op')
                    {% for field in sequence.required %}
                        when (e ->> '$.source.{{ field }}') is null
                            then 'missing required field: source.{{ field }}'
                    {% endfor %}
                    when _sequence is null
                        then 'wrong type: {{ sequence_name }} is not an integer'
                    when (e ->> '$.source.ts_ms') is null
                        then 'missing required field: source.ts_ms'
                    when try_cast(e ->> '$.source.ts_ms' as bigint) is null
                        then 'wrong type: source.ts_ms is not an integer'
                    when coalesce(json_type(img), 'NULL') <> 'OBJECT'
                        then 'missing required field: '
                        || case when e ->> '$.op' = 'd' then 'before' else 'after' end
                {% endif %}
                {% for field in feed.meta.required %}
                    when (img ->> '$.{{ field }}') is null
                        then 'missing required field: {{ field }}'
                {% endfor %}
            end as _reason
        from imaged
    {% endset %}
    {% do run_query(sql) %}
    {{ return(lines) }}
{% endmacro %}

{#
    Spark: the same classification over the staged files' content, with Spark's VARIANT for
    the parsed JSON (`try_parse_json`: null when a line is not JSON, a variant null for `null`).
    A cached temporary view.
#}
{% macro spark__bronze_json_lines(feed, stage) %}
    {% set lines = '__bronze_lines_' ~ feed.name %}
    {% set is_debezium = feed.meta.format == 'debezium' %}
    {% if is_debezium %}
        {% set sequence = debezium_sequence(feed) %}
        {% set sequence_name = 'source.' ~ sequence.required | join('/')
            if sequence.required | length == 1 else 'sequence (' ~ feed.meta.get('sequence_by') ~ ')' %}
    {% endif %}
    {% set is_object = "startswith(schema_of_variant(%s), 'OBJECT')" %}
    {% set field_schema_type = 'struct<fields: array<struct<field: string, fields: array<struct<'
        ~ 'field: string, type: string, name: string, parameters: map<string, string>>>>>>' %}
    {% do run_query("uncache table if exists " ~ lines) %}
    {% set sql %}
        cache table {{ lines }} as
        with raw_texts as (
            select
                path,
                -- a UTF-8 byte order mark is not part of the first line
                case when startswith(text, '\uFEFF') then substr(text, 2) else text end as content
            from (select path, cast(content as string) as text from {{ stage }}
                where duplicate_of is null and is_readable)
        ),
        texts as (
            select
                path,
                split(content, '\n') as parts,
                content <> '' and not endswith(content, '\n') as no_final_newline
            from raw_texts
        ),
        numbered as (
            select
                path,
                no_final_newline,
                size(parts) as n_parts,
                raw_line,
                pos + 1 as line_no
            from texts
            lateral view posexplode(parts) exploded as pos, raw_line
        ),
        parsed as (
            select
                path,
                line_no,
                regexp_replace(raw_line, '\r$', '') as raw_line,
                try_parse_json(regexp_replace(raw_line, '\r$', '')) is not null as is_json,
                bool_or(
                    line_no = n_parts and no_final_newline and try_parse_json(raw_line) is null
                ) over (partition by path) as file_truncated,
                try_parse_json(regexp_replace(raw_line, '\r$', '')) as j
            from numbered
            where not (line_no = n_parts and raw_line = '')
        ),
        enveloped as (
            select
                *,
                {% if is_debezium %}
                    coalesce(try_variant_get(j, '$.payload', 'variant') is not null
                        and try_variant_get(j, '$.schema', 'variant') is not null, false) as is_wrapped,
                    case
                        when try_variant_get(j, '$.payload', 'variant') is not null
                            and try_variant_get(j, '$.schema', 'variant') is not null
                            then try_variant_get(j, '$.payload', 'variant')
                        else j
                    end as e
                {% else %}
                    false as is_wrapped,
                    j as e
                {% endif %}
            from parsed
        ),
        {% if is_debezium %}
            -- Kafka Connect's schema of the row struct (the envelope's `after` field), once per
            -- distinct schema: a map of field -> {field, type, name, parameters}
            field_schemas as (
                select
                    schema_text,
                    map_from_entries(transform(
                        filter(from_json(schema_text, '{{ field_schema_type }}').fields,
                            f -> f.field = 'after')[0].fields,
                        f -> struct(f.field, f)
                    )) as field_schemas
                from (
                    select distinct to_json(try_variant_get(j, '$.schema', 'variant')) as schema_text
                    from enveloped
                    where is_wrapped
                ) as schemas
            ),
        {% endif %}
        imaged as (
            select
                enveloped.*,
                {% if is_debezium %}
                    {{ sequence.expression }} as _sequence,
                    field_schemas.field_schemas,
                    case
                        when try_variant_get(e, '$.op', 'string') = 'd'
                            then try_variant_get(e, '$.before', 'variant')
                        else try_variant_get(e, '$.after', 'variant')
                    end
                {% else %}
                    cast(null as decimal(38, 0)) as _sequence,
                    cast(null as map<string, struct<field: string, type: string, name: string,
                        parameters: map<string, string>>>) as field_schemas,
                    e
                {% endif %} as img
            from enveloped
            {% if is_debezium %}
                left join field_schemas
                    on enveloped.is_wrapped
                    and to_json(try_variant_get(enveloped.j, '$.schema', 'variant')) = field_schemas.schema_text
            {% endif %}
        )
        select
            *,
            case
                when file_truncated
                    then 'file truncated mid-line: quarantined whole'
                when trim(raw_line) = '' then 'empty line'
                when not is_json then 'malformed JSON'
                when is_variant_null(e) then 'tombstone'
                when not {{ is_object | format('e') }} then 'not a JSON object'
                {% if is_debezium %}
                    when try_variant_get(e, '$.op', 'string') is null then 'missing required field: op'
                    when try_variant_get(e, '$.op', 'string') not in ('c', 'u', 'd', 'r')
                        then 'unknown op: ' || try_variant_get(e, '$.op', 'string')
                    {% for field in sequence.required %}
                        when try_variant_get(e, '$.source.{{ field }}', 'string') is null
                            then 'missing required field: source.{{ field }}'
                    {% endfor %}
                    when _sequence is null
                        then 'wrong type: {{ sequence_name }} is not an integer'
                    when try_variant_get(e, '$.source.ts_ms', 'string') is null
                        then 'missing required field: source.ts_ms'
                    when try_variant_get(e, '$.source.ts_ms', 'bigint') is null
                        then 'wrong type: source.ts_ms is not an integer'
                    when img is null or not {{ is_object | format('img') }}
                        then 'missing required field: '
                        || case when try_variant_get(e, '$.op', 'string') = 'd' then 'before' else 'after' end
                {% endif %}
                {% for field in feed.meta.required %}
                    when try_variant_get(img, '$.{{ field }}', 'string') is null
                        then 'missing required field: {{ field }}'
                {% endfor %}
            end as _reason
        from imaged
    {% endset %}
    {% do run_query(sql) %}
    {{ return(lines) }}
{% endmacro %}
