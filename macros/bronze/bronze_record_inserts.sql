{#
    The inserts that record a feed's staged batch, in SQL that DuckDB and Spark both read
    (`bronze_record_batch` runs them in each engine's way): one bronze.quarantine_landing row
    per unreadable file and per rejected line, then one bronze.ingest_ledger row per staged
    file (loaded, duplicate or quarantined, with line and row counts). The ledger insert is
    last. Returns the list of statements.
#}
{% macro bronze_record_inserts(feed) %}
    {% set stage = bronze_scratch(feed, 'stage') %}
    {% set columns = "(feed, source_file, source_line, raw_text, reason, run_id, quarantined_at)" %}
    {% set statements = [] %}
    {% set unreadable %}
        -- a file the feed's reader cannot read: one quarantine row with the reason
        insert into {{ ref('quarantine_landing') }} {{ columns }}
        select '{{ feed.name }}', path, null, null, read_error, '{{ invocation_id }}', now()::timestamp
        from {{ stage }}
        where duplicate_of is null and not is_readable
    {% endset %}
    {% do statements.append(unreadable) %}
    {% if feed.meta.format == 'parquet' %}
        {% set per_file %}
            select path, num_rows as lines, num_rows as loaded, 0 as quarantined, 0 as tombstones,
                false as truncated, cast(null as bigint) as last_line
            from {{ bronze_scratch(feed, 'rows') }}
        {% endset %}
        {% set unreadable_message %}
            'unreadable Parquet file: quarantined whole'
            || case when left(stage.read_error, 25) = 'unreadable Parquet file: '
                then ': ' || substr(stage.read_error, 26) else '' end
        {% endset %}
    {% else %}
        {% set lines = bronze_scratch(feed, 'lines') %}
        {% set rejected %}
            insert into {{ ref('quarantine_landing') }} {{ columns }}
            select
                '{{ feed.name }}', path, line_no, raw_line, _reason, '{{ invocation_id }}',
                now()::timestamp
            from {{ lines }}
            where _reason is not null and _reason <> 'tombstone'
        {% endset %}
        {% do statements.append(rejected) %}
        {% set per_file %}
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
        {% endset %}
        {% set unreadable_message = "'unreadable file: quarantined whole: ' || stage.read_error" %}
    {% endif %}
    {% set ledger %}
        insert into {{ ref('ingest_ledger') }} (
            feed, path, size_bytes, modified_at, content_hash, line_count, rows_loaded,
            rows_quarantined, tombstones, status, duplicate_of, message, first_seen_at, loaded_at,
            run_id
        )
        with per_file as ({{ per_file }})
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
                when not stage.is_readable then {{ unreadable_message }}
                when per_file.truncated
                    then 'file truncated mid-line at line ' || per_file.last_line
                    || ': quarantined whole, no line loaded'
            end,
            now()::timestamp, now()::timestamp, '{{ invocation_id }}'
        from {{ stage }} as stage
        left join per_file on stage.path = per_file.path
    {% endset %}
    {% do statements.append(ledger) %}
    {{ return(statements) }}
{% endmacro %}
