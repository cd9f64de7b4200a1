{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='order_id',
        meta={'history': 'orders_history'},
        on_schema_change='fail',
    )
}}

with

changed as {{ batch_materialization() }} (
    -- the live current version of each key the history rewrote since the last run
    select * from {{ ref('orders_history') }}
    where is_current and not is_deleted and _applied_through > {{ silver_watermark() }}
),

failed as (
    -- the checks of those versions that failed an expectation, with this run's actions
    {{ expectations_failed(ref('orders_checked'), 'changed', 'orders') }}
),

applied as (
    select
        -- keys
        order_id,
        customer_id,
        -- attributes
        order_status,
        total_price,
        order_date,
        order_priority,
        clerk,
        ship_priority,
        comment,
        -- technical
        valid_from as _changed_at,
        _lsn,
        _applied_through
    from changed
    where
        {{ expectations_not_dropped('changed', 'failed') }}
        and {{ expectations_fail_guard('failed', 'orders') }}
)

select * from applied
