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
    Incremental runs read only the changes ingested since the last run and apply them to the
    history (`this`), so a run costs what arrived, not what the table holds:
    - a key whose arrived changes all come after the last change applied to it (`_applied_lsn`
      of its current version, changes that started no version included): its current version
      and the arrived changes are sequenced; the output is the current version again (closed if
      a change follows it) and the new versions;
    - a re-delivered change that starts a version of the key, or is the last one applied, is a
      known duplicate and is dropped;
    - a key with an arrived change older than the last one applied (a late file, or a replayed
      change that started no version): its versions are derived again from all its changes
      (the baseline from the history's `_lsn` 0 version, the change events from `changes`);
      only these keys read their change log;
    - a key seen for the first time: its arrived changes.
    Only keys with more than one row in the batch are deduplicated and sequenced by windows; a
    key with one row (in a first build, nearly every key: its baseline alone) is that row,
    current, with no sort.
    Use with the incremental strategy `replace_versions`, which replaces each key's versions
    from the first one this output holds. `changes` is read more than once (the arrived changes,
    the late keys' change log; in a first build, the keys' row counts and the rows): declare it
    and the CTEs it reads `as not materialized`, or DuckDB copies the whole change log, day-0
    extract included, before filtering it.
#}
{% macro apply_changes(changes, keys) %}
    {#- the data-quality log an entity's derived relations write to (`silver_derived_relations`);
        a unit test of the history is given only its inputs -#}
    {%- if model.resource_type != 'unit_test' -%}
        {%- do ref('dq_expectation_results') -%}
    {%- endif -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set technical = ['_changed_at', '_lsn', '_op', '_ingested_at', '_source_file', '_source_line',
        '_undecoded_fields', '_applied_lsn'] -%}
    with

    {% if is_incremental() %}
        arrived as (
            select * from {{ changes }}
            where _ingested_at > {{ silver_watermark() }}
        ),

        versions as (
            -- the versions the history holds of the keys with arrived changes (narrow)
            select {{ key_list }}, _lsn, _applied_lsn, is_current
            from {{ this }}
            semi join (select distinct {{ key_list }} from arrived) as touched using ({{ key_list }})
        ),

        current_versions as (
            select {{ key_list }}, _applied_lsn from versions
            where is_current
        ),

        late_keys as (
            -- an arrived change older than the last one applied to the key that starts none of
            -- its versions: the key's versions are derived again
            select distinct {{ key_list }}
            from arrived
            inner join current_versions using ({{ key_list }})
            anti join versions using ({{ key_list }}, _lsn)
            where arrived._lsn < current_versions._applied_lsn
        ),

        recorded as (
            -- the history rows a batch starts from: the current version of each key (with the
            -- last change it applied) and its first version (the baseline, for late keys)
            select
                {{ star_except(['valid_from', 'valid_to', 'is_deleted', '_applied_through'], 'history') }},
                history.valid_from as _changed_at
            from {{ this }} as history
            semi join current_versions using ({{ key_list }})
            where history.is_current or history._lsn = 0
        ),

        {%- set forward_versions -%}
            -- keys moving forward: their current version, then the changes after it
            select {{ star_except(['is_current'], 'recorded') }}
            from recorded
            anti join late_keys using ({{ key_list }})
            where recorded.is_current
        {%- endset -%}
        {%- set forward_changes -%}
            select arrived.*, cast(null as decimal(38, 0)) as _applied_lsn
            from arrived
            left join current_versions using ({{ key_list }})
            anti join late_keys using ({{ key_list }})
            where current_versions._applied_lsn is null or arrived._lsn > current_versions._applied_lsn
        {%- endset -%}
        {%- set late_baselines -%}
            -- late keys: every change again, the baseline from the history's first version
            select {{ star_except(['is_current', '_applied_lsn'], 'recorded') }},
                cast(null as decimal(38, 0)) as _applied_lsn
            from recorded
            semi join late_keys using ({{ key_list }})
            where recorded._lsn = 0
        {%- endset -%}
        {%- set late_changes -%}
            select change_log.*, cast(null as decimal(38, 0)) as _applied_lsn
            from {{ changes }} as change_log
            semi join late_keys using ({{ key_list }})
            where change_log._lsn > 0 or change_log._ingested_at > {{ silver_watermark() }}
        {%- endset -%}
        {#- every branch has the history's columns (an engine that unions by position is
            given them: a source column the history does not have yet is left out there) -#}
        {%- set columns = [] -%}
        {%- if execute and target.type != 'duckdb' -%}
            {%- for column in adapter.get_columns_in_relation(this) if column.name not in
                ['valid_from', 'valid_to', 'is_current', 'is_deleted', '_applied_lsn', '_applied_through'] -%}
                {%- do columns.append(column.name) -%}
            {%- endfor -%}
            {%- do columns.extend(['_changed_at', '_applied_lsn']) -%}
        {%- endif %}

        batch as {{ materialization_hint('materialized') }} (
            -- read three times (row counts, sequenced keys, one-row keys) and small: copied once
            {{ union_all_by_name([
                {'sql': forward_versions, 'columns': columns},
                {'sql': forward_changes, 'columns': columns},
                {'sql': late_baselines, 'columns': columns},
                {'sql': late_changes, 'columns': columns},
            ]) }}
        ),
    {% else %}
        batch as {{ materialization_hint('not materialized') }} (
            -- read three times too, but the whole change log: scanned again, not copied
            select
                *,
                cast(null as decimal(38, 0)) as _applied_lsn
            from {{ changes }}
        ),
    {% endif %}

    sequenced_keys as (
        -- the keys with more than one row in the batch: only they need sequencing (a first
        -- build's keys mostly have their baseline row alone)
        select {{ key_list }}
        from batch
        group by all
        having count(*) > 1
    ),

    deduplicated as (
        select * from batch
        semi join sequenced_keys using ({{ key_list }})
        qualify row_number() over (
            partition by {{ key_list }}, _lsn
            order by _ingested_at, _source_file, _source_line
        ) = 1
    ),

    hashed as (
        select
            *,
            {{ hash_columns_except(keys + technical, ["_op = 'd'"]) }} as _row_hash
        from deduplicated
    ),

    applied_through as (
        -- the batch's last ingestion (its rows from the history are older): a scalar, not
        -- max() over (), a window without a partition that runs on one thread over every row,
        -- and not read from `batch`, which DuckDB would then copy whole
        select max(applied._ingested_at) as _applied_through
        from {{ 'arrived' if is_incremental() else changes }} as applied
    ),

    changed as (
        select
            {{ star_except(['_applied_lsn']) }},
            -- the last change applied to the key, those that start no version included (kept
            -- on the current version)
            max(coalesce(_applied_lsn, _lsn)) over (
                partition by {{ key_list }} order by _lsn
                rows between unbounded preceding and unbounded following
            ) as _applied_lsn
        from hashed
        qualify lag(_row_hash) over (partition by {{ key_list }} order by _lsn)
            is distinct from _row_hash
    )

    select
        {{ star_except(['_row_hash', '_changed_at', '_applied_lsn']) }},
        _changed_at as valid_from,
        lead(_changed_at) over (partition by {{ key_list }} order by _lsn) as valid_to,
        lead(_changed_at) over (partition by {{ key_list }} order by _lsn) is null as is_current,
        _op = 'd' as is_deleted,
        case
            when lead(_changed_at) over (partition by {{ key_list }} order by _lsn) is null then _applied_lsn
        end as _applied_lsn,
        (select applied_through._applied_through from applied_through) as _applied_through
    from changed
    -- the same columns in the same order: `changed` is `batch` with `_row_hash` added
    union all
    -- a key with one row in the batch is that row, current: no window sorts it
    select
        {{ star_except(['_changed_at', '_applied_lsn']) }},
        _changed_at as valid_from,
        if(false, _changed_at, null) as valid_to,  -- null, typed as _changed_at
        true as is_current,
        _op = 'd' as is_deleted,
        coalesce(_applied_lsn, _lsn) as _applied_lsn,
        (select applied_through._applied_through from applied_through) as _applied_through
    from batch
    anti join sequenced_keys using ({{ key_list }})
{% endmacro %}
