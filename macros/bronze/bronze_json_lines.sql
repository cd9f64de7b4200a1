{#
    Splits the staged JSON-lines files (duplicates left out) into lines and classifies each one,
    so that every line ends in exactly one place. `_reason` is null for a line to load,
    'tombstone' for a `null` line (Debezium's delete tombstone: counted, not loaded), and
    otherwise the reason it is quarantined. A file whose last line is cut off (no final newline
    and not valid JSON) is quarantined whole: none of its lines load.
    For `debezium` feeds the envelope `e` is unwrapped from Kafka Connect's
    `{"schema", "payload"}` form when present, and `img` is the row image (`after`, or `before`
    for a delete); for `jsonl` feeds both are the line's object.
    Creates a temporary table and returns its name.
#}
{% macro bronze_json_lines(feed, stage) %}
    {% set lines = '__bronze_lines_' ~ feed.name %}
    {% set root = landing_path() %}
    {% set files = [] %}
    {% if execute %}
        {% set files = run_query(
            "select full_path from " ~ stage ~ " where duplicate_of is null order by path"
        ).columns[0].values() | list %}
    {% endif %}
    {% set is_debezium = feed.meta.format == 'debezium' %}
    {% set sql %}
        create or replace temp table {{ lines }} as
        with texts as (
            select
                substr(filename, {{ root | length + 2 }}) as path,
                string_split(content, chr(10)) as parts,
                content <> '' and not ends_with(content, chr(10)) as no_final_newline
            from read_text({{ sql_string_list(files) }})
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
        imaged as (
            select
                *,
                {% if is_debezium %}
                    case when e ->> '$.op' = 'd' then e -> '$.before' else e -> '$.after' end
                {% else %}
                    e
                {% endif %} as img
            from enveloped
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
                    when (e ->> '$.source.lsn') is null then 'missing required field: source.lsn'
                    when try_cast(e ->> '$.source.lsn' as bigint) is null
                        then 'wrong type: source.lsn is not an integer'
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
    {% if execute %}
        {% do run_query(sql) %}
    {% endif %}
    {{ return(lines) }}
{% endmacro %}
