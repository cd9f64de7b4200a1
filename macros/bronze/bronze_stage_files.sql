{#
    Auto Loader's file discovery, run by the `bronze_feed` materialization (never at compile
    time) inside the batch's transaction: list the feed's files
    in the landing zone, keep those not yet in bronze.ingest_ledger, and those quarantined whole
    whose size or modification time has changed since (replaced by their producer), at most
    `max_files_per_run`, oldest path first; stage them in a temporary table with size,
    modification time, content hash (md5), the reason they cannot be read by the feed's reader
    (`read_error`, from `landing_file_error`; null when readable) and, when their content was
    already loaded under another name, which file they duplicate. Only these files are read.
    The stage is a scratch relation on the model's connection (`bronze_create_scratch`);
    `bronze_ingest` and `bronze_record_batch` read it in the same transaction. Listing and
    reading the files are the engine's (`bronze_new_files`, `bronze_read_files`); the rest is
    one body. Returns the files staged (none: nothing new).
#}
{% macro bronze_stage_files(feed) %}
    {% set stage = bronze_scratch(feed, 'stage') %}
    {% set ledger = load_relation(ref('ingest_ledger')) %}
    {% set ledger = ledger if ledger is not none and not should_full_refresh() else none %}
    {% set max_files = var('max_files_per_run', none) %}
    {% set files = bronze_new_files(feed, ledger) %}
    {% set files = files[:max_files | int] if max_files else files %}
    {% set staging %}
        with blobs as (
            {{ bronze_read_files(feed, files) }}
        ),
        known as (
            {% if ledger is not none %}
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
    {% do bronze_create_scratch(stage, staging) %}
    {{ return(files) }}
{% endmacro %}
