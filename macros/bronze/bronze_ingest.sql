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
    {{ return(adapter.dispatch('bronze_ingest', 'lakehouse')(feed)) }}
{% endmacro %}

{# DuckDB #}
{% macro duckdb__bronze_ingest(feed) %}
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

{#
    Spark: Parquet files are read with Spark's `parquet` reader over the feed's glob (schemas
    merged) and only the staged files kept (`_metadata.file_path`); JSON lines come from
    `bronze_json_lines`. The raw payload and the Debezium row images are JSON text.
#}
{% macro spark__bronze_ingest(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% if feed.meta.format == 'parquet' %}
        {% set files = run_query(
            "select full_path from " ~ stage ~ " where duplicate_of is null and is_readable order by path"
        ).columns[0].values() | list %}
        {% set rows = '__bronze_rows_' ~ feed.name %}
        {% set observed = {} %}
        {% do run_query("uncache table if exists " ~ rows) %}
        {% if files %}
            {% set parquet = '__bronze_parquet_' ~ feed.name %}
            {# a view does not pass on the reader's `_metadata`: the file and row are columns #}
            {% do run_query("create or replace temporary view " ~ parquet ~ " as select *,"
                ~ " _metadata.file_path as __file_path, _metadata.row_index as __row_index"
                ~ " from parquet.`" ~ landing_path() ~ "/" ~ feed.meta.path ~ "`") %}
            {% do run_query("cache table " ~ rows ~ " as select "
                ~ bronze_landing_relative('__file_path') ~ " as path, count(*) as num_rows"
                ~ " from " ~ parquet ~ " where __file_path in (" ~ bronze_spark_paths(files)
                ~ ") group by 1") %}
            {% for column in adapter.get_columns_in_relation(api.Relation.create(identifier=parquet))
                if column.name not in ('__file_path', '__row_index') %}
                {% do observed.update({column.name: {'type': column.data_type, 'file': files[0]}}) %}
            {% endfor %}
        {% else %}
            {% do run_query("cache table " ~ rows ~ " as select cast(null as string) as path,"
                ~ " cast(null as bigint) as num_rows where false") %}
        {% endif %}
        select
            -- source columns, typed per the contract
            {{ bronze_select_columns(feed, observed) | join(',\n            ') }},
            -- technical
            try_cast(regexp_extract(__file_path, '/([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]*$', 1) as date)
                as _extract_date,
            {{ bronze_landing_relative('__file_path') }} as _source_file,
            __row_index + 1 as _source_line,
            now()::timestamp as _ingested_at,
            '{{ invocation_id }}' as _run_id
        {% if files %}
            from {{ parquet }}
            where __file_path in ({{ bronze_spark_paths(files) }})
        {% else %}
            from (select cast(null as string) as __file_path, cast(null as bigint) as __row_index) as no_files
            where false
        {% endif %}
    {% else %}
        {% set lines = bronze_json_lines(feed, stage) %}
        {% set observed = {} %}
        {% for row in run_query(
            "select key, min(path) from " ~ lines ~ ", lateral variant_explode(img)"
            ~ " where _reason is null group by key") %}
            {% do observed.update({row[0]: {'file': row[1]}}) %}
        {% endfor %}
        select
            -- row image fields, typed per the contract
            {{ bronze_select_columns(feed, observed, img='img', schema='field_schemas') | join(',\n            ') }},
            {% if feed.meta.format == 'debezium' %}
                -- change metadata
                try_variant_get(e, '$.op', 'string') as _op,
                _sequence as _lsn,
                try_variant_get(e, '$.source.txId', 'bigint') as _tx_id,
                timestamp_millis(try_variant_get(e, '$.source.ts_ms', 'bigint')) as _source_committed_at,
                to_json(try_variant_get(e, '$.before', 'variant')) as _before,
                to_json(try_variant_get(e, '$.after', 'variant')) as _after,
                is_wrapped as _is_wrapped,
            {% endif %}
            -- raw payload and technical
            to_json(e) as _raw,
            path as _source_file,
            line_no as _source_line,
            now()::timestamp as _ingested_at,
            '{{ invocation_id }}' as _run_id
        from {{ lines }}
        where _reason is null
    {% endif %}
{% endmacro %}
