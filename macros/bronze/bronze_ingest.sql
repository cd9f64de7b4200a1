{#
    The batch of a bronze feed (called by the `bronze_feed` materialization, at run time, after
    `bronze_stage_files` has staged the feed's new files): reads only those that are readable
    and not duplicates, and returns the select of their rows with typed columns
    (`bronze_select_columns`), the raw payload and the technical columns. The materialization
    writes the ingest ledger and the quarantine (`bronze_record_batch`) in the same
    transaction as the rows, so a file is loaded exactly once even when a run is killed
    part-way. `feed` is the landing source node (`bronze_feed`).
    Formats (the source's `meta.format`): `debezium` (JSON lines, Debezium envelopes with or
    without the Kafka Connect wrapper), `jsonl` (JSON lines, one object each), `parquet`.
#}
{% macro bronze_ingest(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set root_len = landing_path() | length + 2 %}
    {% if feed.meta.format == 'parquet' %}
        {% set files, observed = [], {} %}
        {% set files = run_query(
            "select full_path from " ~ stage
            ~ " where duplicate_of is null and is_readable order by path"
        ).columns[0].values() | list %}
        {% if files %}
            {% do run_query(
                "create or replace temp table __bronze_rows_" ~ feed.name ~ " as"
                ~ " select substr(file_name, " ~ root_len ~ ") as path, num_rows"
                ~ " from parquet_file_metadata(" ~ sql_string_list(files) ~ ")") %}
            {% set first_file = {} %}
            {% for row in run_query(
                "select name, substr(min(file_name), " ~ root_len ~ ") from parquet_schema("
                ~ sql_string_list(files) ~ ") group by name") %}
                {% do first_file.update({row[0]: row[1]}) %}
            {% endfor %}
            {% for row in run_query("describe select * from read_parquet("
                ~ sql_string_list(files) ~ ", union_by_name = true)") %}
                {% do observed.update({row[0]: {'type': row[1], 'file': first_file.get(row[0])}}) %}
            {% endfor %}
        {% else %}
            {% do run_query(
                "create or replace temp table __bronze_rows_" ~ feed.name
                ~ " as select null::varchar as path, null::bigint as num_rows where false") %}
        {% endif %}
        select
            -- source columns, typed per the contract
            {{ bronze_select_columns(feed, observed) | join(',\n            ') }},
            -- technical
            try_cast(regexp_extract(filename, '/(\d{4}-\d{2}-\d{2})/[^/]*$', 1) as date)
                as _extract_date,
            substr(filename, {{ root_len }}) as _source_file,
            file_row_number + 1 as _source_line,
            now()::timestamp as _ingested_at,
            '{{ invocation_id }}' as _run_id
        {% if files %}
            from read_parquet(
                {{ sql_string_list(files) }},
                filename = true, file_row_number = true, union_by_name = true
            )
        {% else %}
            from (select null::varchar as filename, null::bigint as file_row_number) as no_files
            where false
        {% endif %}
    {% else %}
        {% set lines = bronze_json_lines(feed, stage) %}
        {% set observed = {} %}
        {% for row in run_query(
            "select field, min(path) from (select path, unnest(json_keys(img)) as field from "
            ~ lines ~ " where _reason is null) group by field") %}
            {% do observed.update({row[0]: {'file': row[1]}}) %}
        {% endfor %}
        select
            -- row image fields, typed per the contract
            {{ bronze_select_columns(feed, observed, img='img', schema='field_schemas') | join(',\n            ') }},
            {% if feed.meta.format == 'debezium' %}
                -- change metadata
                e ->> 'op' as _op,
                _sequence as _lsn,
                try_cast(e -> 'source' ->> 'txId' as bigint) as _tx_id,
                make_timestamp(try_cast(e -> 'source' ->> 'ts_ms' as bigint) * 1000)
                    as _source_committed_at,
                e -> 'before' as _before,
                e -> 'after' as _after,
                is_wrapped as _is_wrapped,
            {% endif %}
            -- raw payload and technical
            e as _raw,
            path as _source_file,
            line_no as _source_line,
            now()::timestamp as _ingested_at,
            '{{ invocation_id }}' as _run_id
        from {{ lines }}
        where _reason is null
    {% endif %}
{% endmacro %}
