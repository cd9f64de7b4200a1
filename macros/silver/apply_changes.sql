{#
    AUTO CDC (APPLY CHANGES INTO ... STORED AS SCD TYPE 2) over a change log: every version of
    every key, exactly. `changes` is a relation (CTE) with the key columns, the row's attributes
    and `_changed_at` (source commit time), `_lsn` (sequence), `_op` (c, u, d, r),
    `_ingested_at`, `_source_file`, `_source_line`; a baseline extract enters as rows with
    `_lsn = 0`.
    Semantics: the order of a key's changes is `_lsn`; the same `_lsn` delivered twice is one
    change (the first delivered wins: earliest `_ingested_at`, then file, then line); a change
    that leaves the row as it was (a re-snapshot read, a replayed event) starts no version; a
    delete starts a version with `is_deleted` holding the row's last values; a late, older
    change is put in its place in the sequence and never becomes current over a newer one.
    Incremental runs recompute only the keys with changes ingested since the last run, from all
    their changes, so late files are exact too; use with `delete+insert` on the key.
#}
{% macro apply_changes(changes, keys) %}
    {%- set key_list = keys | join(', ') -%}
    {%- set technical = ['_changed_at', '_lsn', '_op', '_ingested_at', '_source_file', '_source_line',
        '_undecoded_fields'] -%}
    with
    {% if is_incremental() %}
        touched_keys as (
            select distinct {{ key_list }} from {{ changes }}
            where _ingested_at > {{ silver_watermark() }}
        ),
    {% endif %}

    batch as (
        select {{ changes }}.*
        from {{ changes }}
        {% if is_incremental() %}
            -- a join on the key columns, not a row-value IN: it hashes plain columns
            inner join touched_keys using ({{ key_list }})
        {% endif %}
    ),

    deduplicated as (
        select * from batch
        qualify row_number() over (
            partition by {{ key_list }}, _lsn
            order by _ingested_at, _source_file, _source_line
        ) = 1
    ),

    hashed as (
        select
            *,
            hash(*columns(* exclude ({{ (keys + technical) | join(', ') }})), _op = 'd') as _row_hash
        from deduplicated
    ),

    changed as (
        select * from hashed
        qualify lag(_row_hash) over (partition by {{ key_list }} order by _lsn)
            is distinct from _row_hash
    )

    select
        * exclude (_row_hash, _changed_at),
        _changed_at as valid_from,
        lead(_changed_at) over (partition by {{ key_list }} order by _lsn) as valid_to,
        lead(_changed_at) over (partition by {{ key_list }} order by _lsn) is null as is_current,
        _op = 'd' as is_deleted,
        -- a scalar over the batch, not max() over (): a window without a partition runs on
        -- one thread over every row (SF 1 full build of order_lines_history: 25.5 s -> 21.4 s)
        (select max(applied._ingested_at) from batch as applied) as _applied_through
    from changed
{% endmacro %}
