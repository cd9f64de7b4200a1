{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='customer_id',
        history='customers_history',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('customers_history') }}

with

checked as not materialized (
    select * from {{ ref('customers_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as not materialized (
    {{ expectation_actions('checked', 'customers') }}
),

applied as (
    select
        -- keys
        customer_id,
        nation_id,
        -- attributes
        customer_name,
        address,
        phone,
        account_balance,
        market_segment,
        comment,
        -- technical
        valid_from as _changed_at,
        _lsn,
        _applied_through
    from actioned
    where
        not is_deleted
        and len(_dropped_by) = 0
        and {{ expectations_fail_guard('actioned', 'customers') }}
)

select * from applied
