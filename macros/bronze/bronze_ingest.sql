{#
    The batch of a bronze feed (called by the `bronze_feed` materialization, at run time, after
    `bronze_stage_files` has staged the feed's new files): reads only those that are readable
    and not duplicates, and returns the select of their rows with typed columns
    (`bronze_select_columns`), the raw payload and the technical columns. The materialization
    writes the ingest ledger and the quarantine (`bronze_record_batch`) with the rows (in one
    transaction on DuckDB; on Spark the ledger last, as the commit record), so a file is loaded
    exactly once even when a run is killed part-way. `feed` is the landing source node
    (`bronze_feed`).
    Formats (the source's `meta.format`): `debezium` (JSON lines, Debezium envelopes with or
    without the Kafka Connect wrapper), `jsonl` (JSON lines, one object each), both also from
    the feed's Kafka topic (`meta.kafka_topic`, lines that carry the message's topic,
    partition, offset, timestamp and key: `_kafka_*`, null for a line of a delivered file);
    `parquet` (read as `bronze_parquet_files` says for the engine). On Spark the raw payload and the
    Debezium row images are JSON text (`json_stored`).
#}
{% macro bronze_ingest(feed) %}
    {% set stage = bronze_scratch(feed, 'stage') %}
    {% if feed.meta.format == 'parquet' %}
        {% set parquet = bronze_parquet_files(feed, stage) %}
        select
            -- source columns, typed per the contract
            {{ bronze_select_columns(feed, parquet.observed) | join(',\n            ') }},
            -- technical
            try_cast(regexp_extract({{ parquet.file }}, '/([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]*$', 1)
                as date) as _extract_date,
            {{ bronze_landing_relative(parquet.file) }} as _source_file,
            {{ parquet.row }} + 1 as _source_line,
            now()::timestamp as _ingested_at,
            '{{ invocation_id }}' as _run_id
        from {{ parquet.source }}
    {% else %}
        {% set lines = bronze_json_lines(feed, stage) %}
        {% set observed = {} %}
        {% for row in run_query(bronze_observed_fields(lines)) %}
            {% do observed.update({row[0]: {'file': row[1]}}) %}
        {% endfor %}
        select
            -- row image fields, typed per the contract
            {{ bronze_select_columns(feed, observed, img='img', schema='field_schemas') | join(',\n            ') }},
            {% if feed.meta.format == 'debezium' %}
                -- change metadata
                _envelope.op as _op,
                _sequence as _lsn,
                try_cast(_envelope.tx_id as bigint) as _tx_id,
                {{ timestamp_from_millis("try_cast(_envelope.ts_ms as bigint)") }}
                    as _source_committed_at,
                {{ json_stored(json_get('e', '$.before')) }} as _before,
                {{ json_stored(json_get('e', '$.after')) }} as _after,
                is_wrapped as _is_wrapped,
            {% endif %}
            -- the Kafka message a streamed line is (null for a line of a delivered file)
            {{ json_text('kafka', '$.topic') }} as _kafka_topic,
            try_cast({{ json_text('kafka', '$.partition') }} as integer) as _kafka_partition,
            try_cast({{ json_text('kafka', '$.offset') }} as bigint) as _kafka_offset,
            {{ timestamp_from_millis("try_cast(" ~ json_text('kafka', '$.timestamp') ~ " as bigint)") }}
                as _kafka_timestamp,
            {{ json_text('kafka', '$.key') }} as _kafka_key,
            -- raw payload and technical
            {{ json_stored('e') }} as _raw,
            path as _source_file,
            line_no as _source_line,
            now()::timestamp as _ingested_at,
            '{{ invocation_id }}' as _run_id
        from {{ lines }}
        where _reason is null
    {% endif %}
{% endmacro %}
