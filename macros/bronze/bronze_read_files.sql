{#
    The select of the files a batch stages (`files`, from `bronze_new_files`), without reading
    a row: `path` (landing-relative), `full_path`, `size_bytes`, `modified_at`, `content_hash`
    (md5) and `read_error`, the reason the feed's reader cannot read the file (null when it
    can). A Parquet file is checked for its magic bytes first. DuckDB asks the feed's own reader
    (`landing_file_error`, a Python function of the project's DuckDB plugin) and quarantines a
    file corrupt inside with DuckDB's reason; Spark checks a JSON-lines file for UTF-8 and keeps
    its `content` for `bronze_staged_texts`, and a Parquet file corrupt inside (magic bytes
    intact) fails the run with Spark's error: Spark SQL has no per-file try.
#}
{% macro bronze_read_files(feed, files) %}
    {{ return(adapter.dispatch('bronze_read_files', 'lakehouse')(feed, files)) }}
{% endmacro %}

{% macro duckdb__bronze_read_files(feed, files) %}
    {% set is_parquet = feed.meta.format == 'parquet' %}
    select
        substr(filename, {{ landing_path() | length + 2 }}) as path,
        filename as full_path,
        size as size_bytes,
        last_modified::timestamp as modified_at,
        md5(content) as content_hash,
        case
            {% if is_parquet %}
                when not (size >= 12 and content[1:4] = 'PAR1'::blob and content[-4:] = 'PAR1'::blob)
                    then 'unreadable Parquet file (no PAR1 magic bytes at start and end: '
                    || 'truncated or not Parquet): quarantined whole'
            {% endif %}
            when size > 0 then
                {{ "'unreadable Parquet file: ' || " if is_parquet else '' }}
                landing_file_error(filename, '{{ feed.meta.format }}')
        end as read_error
    from read_blob({{ sql_string_list(files) }})
{% endmacro %}

{% macro default__bronze_read_files(feed, files) %}
    {% set is_parquet = feed.meta.format == 'parquet' %}
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
    from {{ bronze_scratch(feed, 'files') }}
    where path in ({{ bronze_spark_paths(files) }})
{% endmacro %}
