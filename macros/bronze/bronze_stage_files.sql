{#
    Auto Loader's file discovery, run by the `bronze_feed` materialization (never at compile
    time) inside the batch's transaction: list the feed's files
    in the landing zone, keep those not yet in bronze.ingest_ledger, and those quarantined whole
    whose size or modification time has changed since (replaced by their producer), at most
    `max_files_per_run`, oldest path first; stage them in a temporary table with size,
    modification time, content hash (md5), the reason they cannot be read by the feed's reader
    (`read_error`, from `landing_file_error`; null when readable) and, when their content was
    already loaded under another name, which file they duplicate. Only these files are read.
    The temporary table lives on the model's connection; `bronze_ingest` and
    `bronze_record_batch` read it in the same transaction. Returns the staging table's name.
#}
{% macro bronze_stage_files(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set root = landing_path() %}
    {% set ledger = load_relation(ref('ingest_ledger')) %}
    {% set use_ledger = ledger is not none and not should_full_refresh() %}
    {% set max_files = var('max_files_per_run', none) %}
    {% set listing %}
        select
            file,
            {% if use_ledger %}
                ledger.path is not null as was_quarantined,
                ledger.size_bytes,
                ledger.modified_at
            {% else %}
                false as was_quarantined, null::bigint as size_bytes, null::timestamp as modified_at
            {% endif %}
        from glob('{{ root }}/{{ feed.meta.path }}')
        {% if use_ledger %}
            left join {{ ledger }} as ledger
                on ledger.feed = '{{ feed.name }}'
                and ledger.path = substr(file, {{ root | length + 2 }})
            where ledger.path is null or ledger.status = 'quarantined'
        {% endif %}
        order by file
    {% endset %}
    {% set candidates = run_query(listing) %}
    {# a file quarantined whole is read again once its producer has replaced it (its size or
       modification time changed); the listing reads no file's content #}
    {% set replaced = [] %}
    {% set quarantined = candidates | selectattr('was_quarantined') | list %}
    {% if quarantined %}
        {% set stats = {} %}
        {% for row in run_query("select filename, size, last_modified::timestamp from read_blob("
            ~ sql_string_list(quarantined | map(attribute='file') | list) ~ ")") %}
            {% do stats.update({row[0]: (row[1], row[2])}) %}
        {% endfor %}
        {% for row in quarantined if stats.get(row.file) != (row.size_bytes, row.modified_at) %}
            {% do replaced.append(row.file) %}
        {% endfor %}
    {% endif %}
    {% set files = [] %}
    {% for row in candidates if not row.was_quarantined or row.file in replaced %}
        {% do files.append(row.file) %}
    {% endfor %}
    {% set files = files[:max_files | int] if max_files else files %}
    {% set is_parquet = feed.meta.format == 'parquet' %}
    {% set staging %}
        create or replace temp table {{ stage }} as
        with blobs as (
            select
                substr(filename, {{ root | length + 2 }}) as path,
                filename as full_path,
                size as size_bytes,
                last_modified::timestamp as modified_at,
                md5(content) as content_hash,
                -- a file the feed's reader cannot read (not UTF-8, not Parquet, corrupt inside)
                -- is quarantined whole with DuckDB's reason; the rest of the batch loads
                case
                    {% if is_parquet %}
                        when not (size >= 12 and content[1:4] = 'PAR1'::blob
                            and content[-4:] = 'PAR1'::blob)
                            then 'unreadable Parquet file (no PAR1 magic bytes at start and end: '
                            || 'truncated or not Parquet): quarantined whole'
                    {% endif %}
                    when size > 0 then
                        {{ "'unreadable Parquet file: ' || " if is_parquet else '' }}
                        landing_file_error(filename, '{{ feed.meta.format }}')
                end as read_error
            from read_blob({{ sql_string_list(files) }})
        ),
        known as (
            {% if use_ledger %}
                select ledger.content_hash, min(ledger.path) as path
                from {{ ledger }} as ledger
                where ledger.feed = '{{ feed.name }}' and ledger.status = 'loaded'
                group by 1
            {% else %}
                select null::varchar as content_hash, null::varchar as path where false
            {% endif %}
        )
        select
            blobs.*,
            blobs.read_error is null as is_readable,
            case
                when blobs.size_bytes = 0 then null
                when known.path is not null then known.path
                when row_number() over (partition by blobs.content_hash order by blobs.path) > 1
                    then first_value(blobs.path) over (
                        partition by blobs.content_hash order by blobs.path
                    )
            end as duplicate_of
        from blobs
        left join known using (content_hash)
    {% endset %}
    {% do run_query(staging) %}
    {{ return(stage) }}
{% endmacro %}
