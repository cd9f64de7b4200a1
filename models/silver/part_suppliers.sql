{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=['part_id', 'supplier_id'],
        meta={'history': 'part_suppliers_history'},
        on_schema_change='fail',
    )
}}

with

changed as {{ batch_materialization() }} (
    -- the live current version of each key the history rewrote since the last run
    select * from {{ ref('part_suppliers_history') }}
    where is_current and not is_deleted and _applied_through > {{ silver_watermark() }}
),

failed as (
    -- the checks of those versions that failed an expectation, with this run's actions
    {{ expectations_failed(ref('part_suppliers_checked'), 'changed', 'part_suppliers') }}
),

applied as (
    select
        -- keys
        part_id,
        supplier_id,
        -- attributes
        available_quantity,
        supply_cost,
        comment,
        -- technical
        valid_from as _changed_at,
        _applied_through
    from changed
    where
        {{ expectations_not_dropped('changed', 'failed') }}
        and {{ expectations_fail_guard('failed', 'part_suppliers') }}
)

select * from applied
