{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='order_id',
        history='orders_history',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('orders_history') }}

with

checked as not materialized (
    select * from {{ ref('orders_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as not materialized (
    {{ expectation_actions('checked', 'orders') }}
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
    from actioned
    where
        not is_deleted
        and len(_dropped_by) = 0
        and {{ expectations_fail_guard('actioned', 'orders') }}
)

select * from applied
