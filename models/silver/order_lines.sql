{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=['order_id', 'line_number'],
        meta={'history': 'order_lines_history'},
        on_schema_change='fail',
    )
}}

with

changed as {{ batch_materialization() }} (
    -- the live current version of each key the history rewrote since the last run
    select * from {{ ref('order_lines_history') }}
    where is_current and not is_deleted and _applied_through > {{ silver_watermark() }}
),

failed as (
    -- the checks of those versions that failed an expectation, with this run's actions
    {{ expectations_failed(ref('order_lines_checked'), 'changed', 'order_lines') }}
),

applied as (
    select
        -- keys
        order_id,
        line_number,
        part_id,
        supplier_id,
        -- attributes
        quantity,
        extended_price,
        discount,
        tax,
        return_flag,
        line_status,
        ship_date,
        commit_date,
        receipt_date,
        ship_instructions,
        ship_mode,
        comment,
        -- technical
        valid_from as _changed_at,
        _lsn,
        _applied_through
    from changed
    where
        {{ expectations_not_dropped('changed', 'failed') }}
        and {{ expectations_fail_guard('failed', 'order_lines') }}
)

select * from applied
