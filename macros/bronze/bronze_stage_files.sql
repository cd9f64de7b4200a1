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
    {{ return(adapter.dispatch('bronze_stage_files', 'lakehouse')(feed)) }}
{% endmacro %}

{# DuckDB #}
{% macro duckdb__bronze_stage_files(feed) %}
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

{#
    Spark: the same discovery with Spark's `binaryFile` reader (path, length, modification time,
    content; the content is read only for the files staged). The stage is a cached temporary
    view. A Parquet file is checked for its magic bytes; a JSON-lines file for UTF-8. A Parquet
    file corrupt inside (magic bytes intact) fails the run with Spark's error instead of being
    quarantined: Spark SQL has no per-file try (DuckDB's `landing_file_error` is a Python UDF).
#}
{% macro spark__bronze_stage_files(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set root = landing_path() %}
    {% set ledger = load_relation(ref('ingest_ledger')) %}
    {% set use_ledger = ledger is not none and not should_full_refresh() %}
    {% set max_files = var('max_files_per_run', none) %}
    {# the feed's glob as a regular expression over the file's absolute path (a relative
       landing zone is matched from any directory) #}
    {% set pattern = ('^' if root.startswith('/') else '/') ~ (root ~ '/' ~ feed.meta.path)
        | replace('.', '[.]') | replace('*', '[^/]*') ~ '$' %}
    {% set files_view = '__bronze_files_' ~ feed.name %}
    {# the landing zone's files (a glob without a match is an error in Spark, an empty feed
       here): listed recursively and matched with the feed's glob as a regular expression #}
    {% do run_query("create or replace temporary view " ~ files_view ~ " using binaryFile options ("
        ~ "path '" ~ root ~ "', recursiveFileLookup 'true')") %}
    {% set listing %}
        select
            files.path as file,
            {% if use_ledger %}
                ledger.path is not null as was_quarantined,
                ledger.size_bytes,
                ledger.modified_at,
            {% else %}
                false as was_quarantined,
                cast(null as bigint) as size_bytes,
                cast(null as timestamp) as modified_at,
            {% endif %}
            files.length as size_now,
            files.modificationTime as modified_now
        from {{ files_view }} as files
        {% if use_ledger %}
            left join {{ ledger }} as ledger
                on ledger.feed = '{{ feed.name }}'
                and ledger.path = {{ bronze_landing_relative('files.path') }}
        {% endif %}
        where regexp_replace(files.path, '^file:(//)?', '') rlike '{{ pattern }}'
        {% if use_ledger %}
            and (ledger.path is null or ledger.status = 'quarantined')
        {% endif %}
        order by files.path
    {% endset %}
    {# a file quarantined whole is read again once its producer has replaced it (its size or
       modification time changed) #}
    {% set files = [] %}
    {% for row in run_query(listing) if not row.was_quarantined
        or (row.size_bytes, row.modified_at) != (row.size_now, row.modified_now) %}
        {% do files.append(row.file) %}
    {% endfor %}
    {% set files = files[:max_files | int] if max_files else files %}
    {% set is_parquet = feed.meta.format == 'parquet' %}
    {% do run_query("drop view if exists " ~ stage) %}
    {% do run_query("uncache table if exists " ~ stage) %}
    {% set staging %}
        cache table {{ stage }} as
        with blobs as (
            select
                {{ bronze_landing_relative('path') }} as path,
                path as full_path,
                length as size_bytes,
                modificationTime as modified_at,
                md5(content) as content_hash,
                case
                    {% if is_parquet %}
                        when not (length >= 12 and substr(content, 1, 4) = X'50415231'
                            and substr(content, -4) = X'50415231')
                            then 'unreadable Parquet file (no PAR1 magic bytes at start and end: '
                            || 'truncated or not Parquet): quarantined whole'
                    {% else %}
                        when not is_valid_utf8(cast(content as string))
                            then 'Invalid Input Error: not valid UTF-8'
                    {% endif %}
                end as read_error,
                {{ 'cast(null as binary)' if is_parquet else 'content' }} as content
            from {{ files_view }}
            where path in ({{ bronze_spark_paths(files) }})
        ),
        known as (
            {% if use_ledger %}
                select ledger.content_hash, min(ledger.path) as path
                from {{ ledger }} as ledger
                where ledger.feed = '{{ feed.name }}' and ledger.status = 'loaded'
                group by 1
            {% else %}
                select cast(null as string) as content_hash, cast(null as string) as path
                where false
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
        left join known on blobs.content_hash = known.content_hash
    {% endset %}
    {% do run_query(staging) %}
    {{ return(stage) }}
{% endmacro %}
