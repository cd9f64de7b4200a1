{#
    The ingest ledger's table. Its rows are written by the `bronze_feed` materialization of
    each feed model (`bronze_record_batch`), in the same transaction as the feed's rows; this
    model only creates the table, and is never rebuilt by a full refresh.
#}
{{ config(full_refresh=false) }}

select
    cast(null as string) as feed,
    cast(null as string) as path,
    cast(null as bigint) as size_bytes,
    cast(null as timestamp) as modified_at,
    cast(null as string) as content_hash,
    cast(null as bigint) as line_count,
    cast(null as bigint) as rows_loaded,
    cast(null as bigint) as rows_quarantined,
    cast(null as bigint) as tombstones,
    cast(null as string) as status,
    cast(null as string) as duplicate_of,
    cast(null as string) as message,
    cast(null as timestamp) as first_seen_at,
    cast(null as timestamp) as loaded_at,
    cast(null as string) as run_id
where false
