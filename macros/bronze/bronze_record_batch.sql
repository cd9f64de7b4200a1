{#
    The ledger and quarantine statements of a feed's batch, run by the `bronze_feed`
    materialization inside the transaction that appends the batch's rows: appends one
    bronze.ingest_ledger row per staged file (loaded, duplicate or quarantined, with line and
    row counts) and one bronze.quarantine_landing row per rejected line or unreadable file. On a
    full refresh the feed's earlier ledger and quarantine rows are replaced, so the ledger always
    describes what the table holds.
#}
{% macro bronze_record_batch(feed) %}
    {{ return(adapter.dispatch('bronze_record_batch', 'lakehouse')(feed)) }}
{% endmacro %}

{# DuckDB #}
{% macro duckdb__bronze_record_batch(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set ledger = ref('ingest_ledger') %}
    {% set quarantine = ref('quarantine_landing') %}
    {% if should_full_refresh() %}
        delete from {{ ledger }} where feed = '{{ feed.name }}';
        delete from {{ quarantine }} where feed = '{{ feed.name }}';
    {% else %}
        -- a file quarantined whole and replaced since: its new reading replaces the old one
        delete from {{ quarantine }}
        where feed = '{{ feed.name }}' and source_file in (select path from {{ stage }});
        delete from {{ ledger }}
        where feed = '{{ feed.name }}' and path in (select path from {{ stage }});
    {% endif %}
    -- a file the feed's reader cannot read: one quarantine row with the reason
    insert into {{ quarantine }} (feed, source_file, source_line, raw_text, reason, run_id, quarantined_at)
    select '{{ feed.name }}', path, null, null, read_error, '{{ invocation_id }}', now()::timestamp
    from {{ stage }}
    where duplicate_of is null and not is_readable;
    {% if feed.meta.format == 'parquet' %}
        insert into {{ ledger }} (
            feed, path, size_bytes, modified_at, content_hash, line_count, rows_loaded,
            rows_quarantined, tombstones, status, duplicate_of, message, first_seen_at, loaded_at,
            run_id
        )
        select
            '{{ feed.name }}', stage.path, stage.size_bytes, stage.modified_at, stage.content_hash,
            counts.num_rows,
            counts.num_rows,
            case when stage.duplicate_of is null and not stage.is_readable then 1 else 0 end,
            0,
            case
                when stage.duplicate_of is not null then 'duplicate'
                when not stage.is_readable then 'quarantined'
                else 'loaded'
            end,
            stage.duplicate_of,
            case
                when stage.duplicate_of is not null
                    then 'same content as ' || stage.duplicate_of || ': not loaded again'
                when not stage.is_readable then 'unreadable Parquet file: quarantined whole'
                    || case when starts_with(stage.read_error, 'unreadable Parquet file: ')
                        then ': ' || substr(stage.read_error, 26) else '' end
            end,
            now()::timestamp, now()::timestamp, '{{ invocation_id }}'
        from {{ stage }} as stage
        left join __bronze_rows_{{ feed.name }} as counts using (path);
    {% else %}
        {% set lines = '__bronze_lines_' ~ feed.name %}
        insert into {{ quarantine }} (feed, source_file, source_line, raw_text, reason, run_id, quarantined_at)
        select
            '{{ feed.name }}', path, line_no, raw_line, _reason, '{{ invocation_id }}',
            now()::timestamp
        from {{ lines }}
        where _reason is not null and _reason <> 'tombstone';
        insert into {{ ledger }} (
            feed, path, size_bytes, modified_at, content_hash, line_count, rows_loaded,
            rows_quarantined, tombstones, status, duplicate_of, message, first_seen_at, loaded_at,
            run_id
        )
        with per_file as (
            select
                path,
                count(*) as lines,
                count(*) filter (where _reason is null) as loaded,
                count(*) filter (where _reason <> 'tombstone') as quarantined,
                count(*) filter (where _reason = 'tombstone') as tombstones,
                bool_or(file_truncated) as truncated,
                max(line_no) as last_line
            from {{ lines }}
            group by path
        )
        select
            '{{ feed.name }}', stage.path, stage.size_bytes, stage.modified_at, stage.content_hash,
            case when stage.duplicate_of is null and stage.is_readable then coalesce(per_file.lines, 0) end,
            coalesce(per_file.loaded, 0),
            case when stage.duplicate_of is null and not stage.is_readable then 1
                else coalesce(per_file.quarantined, 0) end,
            coalesce(per_file.tombstones, 0),
            case
                when stage.duplicate_of is not null then 'duplicate'
                when not stage.is_readable or per_file.truncated then 'quarantined'
                else 'loaded'
            end,
            stage.duplicate_of,
            case
                when stage.duplicate_of is not null
                    then 'same content as ' || stage.duplicate_of || ': not loaded again'
                when not stage.is_readable then 'unreadable file: quarantined whole: ' || stage.read_error
                when per_file.truncated
                    then 'file truncated mid-line at line ' || per_file.last_line
                    || ': quarantined whole, no line loaded'
            end,
            now()::timestamp, now()::timestamp, '{{ invocation_id }}'
        from {{ stage }} as stage
        left join per_file using (path);
    {% endif %}
{% endmacro %}

{#
    Spark: the same rows, written by this macro statement by statement (it returns nothing).
    The quarantine rows go first and the ledger rows last: the ledger is the batch's commit
    record (see the Spark `bronze_feed` materialization). A full refresh has forgotten the
    feed's ledger and quarantine before its batch; otherwise the rows of a replaced file are
    removed with `bronze_rewrite_without` (Parquet tables have no DELETE).
#}
{% macro spark__bronze_record_batch(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set ledger = ref('ingest_ledger') %}
    {% set quarantine = ref('quarantine_landing') %}
    {% set replaced = "feed = '" ~ feed.name ~ "' and %s in (select path from " ~ stage ~ ")" %}
    {% if not should_full_refresh() %}
        -- a file quarantined whole and replaced since: its new reading replaces the old one
        {% do bronze_rewrite_without(quarantine, replaced | format('source_file')) %}
        {% do bronze_rewrite_without(ledger, replaced | format('path')) %}
    {% endif %}
    {% set statements = [] %}
    {# a file the feed's reader cannot read: one quarantine row with the reason #}
    {% do statements.append("insert into " ~ quarantine ~ " (feed, source_file, source_line,"
        ~ " raw_text, reason, run_id, quarantined_at) select '" ~ feed.name ~ "', path, null, null,"
        ~ " read_error, '" ~ invocation_id ~ "', now()::timestamp from " ~ stage
        ~ " where duplicate_of is null and not is_readable") %}
    {% if feed.meta.format == 'parquet' %}
        {% set ledger_rows %}
            select
                '{{ feed.name }}', stage.path, stage.size_bytes, stage.modified_at, stage.content_hash,
                counts.num_rows,
                counts.num_rows,
                case when stage.duplicate_of is null and not stage.is_readable then 1 else 0 end,
                0,
                case
                    when stage.duplicate_of is not null then 'duplicate'
                    when not stage.is_readable then 'quarantined'
                    else 'loaded'
                end,
                stage.duplicate_of,
                case
                    when stage.duplicate_of is not null
                        then 'same content as ' || stage.duplicate_of || ': not loaded again'
                    when not stage.is_readable then 'unreadable Parquet file: quarantined whole'
                end,
                now()::timestamp, now()::timestamp, '{{ invocation_id }}'
            from {{ stage }} as stage
            left join __bronze_rows_{{ feed.name }} as counts on stage.path = counts.path
        {% endset %}
    {% else %}
        {% set lines = '__bronze_lines_' ~ feed.name %}
        {% do statements.append("insert into " ~ quarantine ~ " (feed, source_file, source_line,"
            ~ " raw_text, reason, run_id, quarantined_at) select '" ~ feed.name ~ "', path, line_no,"
            ~ " raw_line, _reason, '" ~ invocation_id ~ "', now()::timestamp from " ~ lines
            ~ " where _reason is not null and _reason <> 'tombstone'") %}
        {% set ledger_rows %}
            with per_file as (
                select
                    path,
                    count(*) as lines,
                    count_if(_reason is null) as loaded,
                    count_if(_reason <> 'tombstone') as quarantined,
                    count_if(_reason = 'tombstone') as tombstones,
                    bool_or(file_truncated) as truncated,
                    max(line_no) as last_line
                from {{ lines }}
                group by path
            )
            select
                '{{ feed.name }}', stage.path, stage.size_bytes, stage.modified_at, stage.content_hash,
                case when stage.duplicate_of is null and stage.is_readable then coalesce(per_file.lines, 0) end,
                coalesce(per_file.loaded, 0),
                case when stage.duplicate_of is null and not stage.is_readable then 1
                    else coalesce(per_file.quarantined, 0) end,
                coalesce(per_file.tombstones, 0),
                case
                    when stage.duplicate_of is not null then 'duplicate'
                    when not stage.is_readable or per_file.truncated then 'quarantined'
                    else 'loaded'
                end,
                stage.duplicate_of,
                case
                    when stage.duplicate_of is not null
                        then 'same content as ' || stage.duplicate_of || ': not loaded again'
                    when not stage.is_readable then 'unreadable file: quarantined whole: ' || stage.read_error
                    when per_file.truncated
                        then 'file truncated mid-line at line ' || per_file.last_line
                        || ': quarantined whole, no line loaded'
                end,
                now()::timestamp, now()::timestamp, '{{ invocation_id }}'
            from {{ stage }} as stage
            left join per_file on stage.path = per_file.path
        {% endset %}
    {% endif %}
    {% do statements.append("insert into " ~ ledger ~ " (feed, path, size_bytes, modified_at,"
        ~ " content_hash, line_count, rows_loaded, rows_quarantined, tombstones, status,"
        ~ " duplicate_of, message, first_seen_at, loaded_at, run_id) " ~ ledger_rows) %}
    {% for statement in statements %}
        {% do run_query(statement) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}
