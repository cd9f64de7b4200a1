{#
    Splits the staged JSON-lines files (duplicates and unreadable files left out; a UTF-8 byte
    order mark and CRLF line ends are accepted) into lines and classifies each one,
    so that every line ends in exactly one place. `_reason` is null for a line to load,
    'tombstone' for a `null` line (Debezium's delete tombstone: counted, not loaded), and
    otherwise the reason it is quarantined. A file whose last line is cut off (no final newline
    and not valid JSON) is quarantined whole: none of its lines load.
    A line of a Kafka batch file (`stream/<feed>/...`, written by `lakehouse stream`) is the
    message's envelope (`kafka`: topic, partition, offset, timestamp, key, value); its value is
    the line classified here (a null value is the tombstone).
    For `debezium` feeds the envelope `e` is unwrapped from Kafka Connect's
    `{"schema", "payload"}` form when present, `img` is the row image (`after`, or `before`
    for a delete), `field_schemas` the Connect schema of its fields (null without a schema)
    and `_sequence` the change's place in the source's order (`debezium_sequence`), and
    `_envelope` the envelope's fields the checks read, as text (`op`, `ts_ms`, `tx_id`,
    `source_<field>`);
    for `jsonl` feeds `e` and `img` are the line's object.
    One body for DuckDB and Spark: JSON is read with the dialect's JSON shims (`json_get`,
    `json_text`, ...: DuckDB's JSON, Spark's VARIANT), and what differs in kind (reading the
    files, numbering the lines, Connect schemas) is a leaf macro. Creates the batch's `lines`
    scratch relation and returns its name.
#}
{% macro bronze_json_lines(feed, stage) %}
    {% set lines = bronze_scratch(feed, 'lines') %}
    {% set is_debezium = feed.meta.format == 'debezium' %}
    {% if is_debezium %}
        {% set sequence = debezium_sequence(feed) %}
        {% set sequence_name = 'source.' ~ sequence.required | join('/')
            if sequence.required | length == 1 else 'sequence (' ~ feed.meta.get('sequence_by') ~ ')' %}
        {# the envelope's fields the checks read, taken from it at once (`json_texts`) #}
        {% set envelope = {'op': '$.op', 'ts_ms': '$.source.ts_ms', 'tx_id': '$.source.txId'} %}
        {% for field in sequence.required %}
            {% do envelope.update({'source_' ~ field: '$.source.' ~ field}) %}
        {% endfor %}
        {% set op = '_envelope.op' %}
        {% set unwrapped = 'case when _payload is not null and _schema is not null then _payload else j end' %}
    {% endif %}
    {% set sql %}
        with raw_texts as (
            {{ bronze_staged_texts(stage) }}
        ),
        unmarked as (
            select
                path,
                -- a UTF-8 byte order mark is not part of the first line
                case
                    when left(content, 1) = {{ byte_order_mark() }} then substr(content, 2)
                    else content
                end as content
            from raw_texts
        ),
        texts as (
            select
                path,
                split(content, chr(10)) as parts,
                content <> '' and right(content, 1) <> chr(10) as no_final_newline,
                -- the last line cut off: no final newline, and not JSON (once per file)
                content <> '' and right(content, 1) <> chr(10)
                and {{ json_parse("split_part(content, chr(10), -1)") }} is null as file_truncated
            from unmarked
        ),
        numbered as (
            {{ bronze_numbered_lines('texts') }}
        ),
        streamed as (
            select
                *,
                case when path like 'stream/%' then {{ json_parse('raw_line') }} end as kafka
            from numbered
        ),
        delivered as (
            select
                *,
                case
                    when kafka is null then trim(trailing chr(13) from raw_line)
                    else coalesce({{ json_text('kafka', '$.value') }}, 'null')
                end as line
            from streamed
        ),
        parsed as (
            -- each line is parsed once here: on DuckDB a JSON value is its text, which every
            -- function reading it parses again (a Connect-wrapped line's schema is most of it)
            select
                path,
                line_no,
                trim(trailing chr(13) from raw_line) as raw_line,
                kafka,
                line,
                file_truncated,
                {{ json_parse('line') }} as j
            from delivered
            where not (line_no = n_parts and raw_line = '')
        ),
        {% if is_debezium %}
            wrapper as (
                select
                    *,
                    {{ json_get('j', '$.payload') }} as _payload,
                    {{ json_get('j', '$.schema') }} as _schema
                from parsed
            ),
        {% endif %}
        enveloped as (
            select
                {% if is_debezium %}
                    {{ star_except(['_payload', '_schema']) }},
                    j is not null as is_json,
                    coalesce(_payload is not null and _schema is not null, false) as is_wrapped,
                    {{ unwrapped }} as e,
                    {{ json_texts(unwrapped, envelope) }} as _envelope,
                    -- the Connect schema, as text: the key of its field schemas
                    case
                        when _payload is not null and _schema is not null
                            then {{ json_serialize('_schema') }}
                    end as schema_text
                from wrapper
                {% else %}
                    *,
                    j is not null as is_json,
                    false as is_wrapped,
                    j as e
                from parsed
                {% endif %}
        ),
        {% if is_debezium %}
            field_schemas as (
                {{ bronze_connect_field_schemas('enveloped') }}
            ),
        {% endif %}
        imaged as (
            select
                enveloped.*,
                {% if is_debezium %}
                    {{ sequence.expression }} as _sequence,
                    field_schemas.field_schemas,
                    case
                        when {{ op }} = 'd' then {{ json_get('e', '$.before') }}
                        else {{ json_get('e', '$.after') }}
                    end
                {% else %}
                    cast(null as decimal(38, 0)) as _sequence,
                    {{ bronze_no_field_schemas() }} as field_schemas,
                    e
                {% endif %} as img
            from enveloped
            {% if is_debezium %}
                left join field_schemas
                    on enveloped.schema_text = field_schemas.schema_text
            {% endif %}
        )
        select
            *,
            case
                when file_truncated
                    then 'file truncated mid-line: quarantined whole'
                when trim(line) = '' then 'empty line'
                when not is_json then 'malformed JSON'
                when {{ json_is_null('e') }} then 'tombstone'
                when not {{ json_is_object('e') }} then 'not a JSON object'
                {% if is_debezium %}
                    when {{ op }} is null then 'missing required field: op'
                    when {{ op }} not in ('c', 'u', 'd', 'r') then 'unknown op: ' || {{ op }}
                    {% for field in sequence.required %}
                        when _envelope.source_{{ field }} is null
                            then 'missing required field: source.{{ field }}'
                    {% endfor %}
                    when _sequence is null
                        then 'wrong type: {{ sequence_name }} is not an integer'
                    when _envelope.ts_ms is null
                        then 'missing required field: source.ts_ms'
                    when try_cast(_envelope.ts_ms as bigint) is null
                        then 'wrong type: source.ts_ms is not an integer'
                    when not coalesce({{ json_is_object('img') }}, false)
                        then 'missing required field: '
                        || case when {{ op }} = 'd' then 'before' else 'after' end
                {% endif %}
                {% for field in feed.meta.required %}
                    when {{ json_text('img', '$.' ~ field) }} is null
                        then 'missing required field: {{ field }}'
                {% endfor %}
            end as _reason
        from imaged
    {% endset %}
    {% do bronze_create_scratch(lines, sql) %}
    {{ return(lines) }}
{% endmacro %}
