{#
    The feed's files to read in this batch (its globs: `bronze_feed_globs`), oldest path first
    (absolute paths or URIs, as the engine's reader takes them): those the ingest ledger (`ledger`, none on a first run or a
    full refresh) does not list, and those it lists as quarantined whole whose size or
    modification time has changed since (replaced by their producer). DuckDB lists with `glob`
    and reads the quarantined files' stats only; Spark lists the landing zone with its
    `binaryFile` reader, recursively, matching the feed's globs as a regular expression (a glob
    without a match is an error in Spark, an empty feed here). No file's content is read.
#}
{% macro bronze_new_files(feed, ledger) %}
    {{ return(adapter.dispatch('bronze_new_files', 'lakehouse')(feed, ledger)) }}
{% endmacro %}

{% macro duckdb__bronze_new_files(feed, ledger) %}
    {% set root = landing_path() %}
    {% set listing %}
        select
            file,
            {% if ledger is not none %}
                ledger.path is not null as was_quarantined,
                ledger.size_bytes,
                ledger.modified_at
            {% else %}
                false as was_quarantined, null::bigint as size_bytes, null::timestamp as modified_at
            {% endif %}
        from (
            {% for pattern in bronze_feed_globs(feed) %}
                {{ 'union all' if not loop.first }}
                select file from glob('{{ root }}/{{ pattern }}')
            {% endfor %}
        ) as listed
        {% if ledger is not none %}
            left join {{ ledger }} as ledger
                on ledger.feed = '{{ feed.name }}'
                and ledger.path = substr(file, {{ root | length + 2 }})
            where ledger.path is null or ledger.status = 'quarantined'
        {% endif %}
        order by file
    {% endset %}
    {% set candidates = run_query(listing) %}
    {% set stats = {} %}
    {% set quarantined = candidates | selectattr('was_quarantined') | map(attribute='file') | list %}
    {% if quarantined %}
        {% for row in run_query("select filename, size, last_modified::timestamp from read_blob("
            ~ sql_string_list(quarantined) ~ ")") %}
            {% do stats.update({row[0]: (row[1], row[2])}) %}
        {% endfor %}
    {% endif %}
    {% set files = [] %}
    {% for row in candidates if not row.was_quarantined
        or stats.get(row.file) != (row.size_bytes, row.modified_at) %}
        {% do files.append(row.file) %}
    {% endfor %}
    {{ return(files) }}
{% endmacro %}

{% macro default__bronze_new_files(feed, ledger) %}
    {% set root = landing_path() %}
    {% set files_view = bronze_scratch(feed, 'files') %}
    {# the feed's glob as a regular expression over the file's absolute path (a relative
       landing zone is matched from any directory) #}
    {% set patterns = [] %}
    {% for glob in bronze_feed_globs(feed) %}
        {% do patterns.append((root ~ '/' ~ glob) | replace('.', '[.]') | replace('*', '[^/]*')) %}
    {% endfor %}
    {% set pattern = ('^' if root.startswith('/') else '/') ~ '(' ~ patterns | join('|') ~ ')$' %}
    {% do run_query("create or replace temporary view " ~ files_view ~ " using binaryFile options ("
        ~ "path '" ~ root ~ "', recursiveFileLookup 'true')") %}
    {% set listing %}
        select
            files.path as file,
            {% if ledger is not none %}
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
        {% if ledger is not none %}
            left join {{ ledger }} as ledger
                on ledger.feed = '{{ feed.name }}'
                and ledger.path = {{ bronze_landing_relative('files.path') }}
        {% endif %}
        where regexp_replace(files.path, '^file:(//)?', '') rlike '{{ pattern }}'
        {% if ledger is not none %}
            and (ledger.path is null or ledger.status = 'quarantined')
        {% endif %}
        order by files.path
    {% endset %}
    {% set files = [] %}
    {% for row in run_query(listing) if not row.was_quarantined
        or (row.size_bytes, row.modified_at) != (row.size_now, row.modified_now) %}
        {% do files.append(row.file) %}
    {% endfor %}
    {{ return(files) }}
{% endmacro %}
