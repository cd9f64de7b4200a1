{#
    The landing quarantine's table: rejected lines and unreadable files. Rows are written by
    the `bronze_feed` materialization of each feed model (`bronze_record_batch`); this model
    only creates the table, and is never rebuilt by a full refresh.
#}
{{ config(full_refresh=false) }}

select
    cast(null as string) as feed,
    cast(null as string) as source_file,
    cast(null as bigint) as source_line,
    cast(null as string) as raw_text,
    cast(null as string) as reason,
    cast(null as string) as run_id,
    cast(null as timestamp) as quarantined_at
where false
