{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='customer_id',
        meta={'history': 'customers_history'},
        on_schema_change='fail',
    )
}}

with

changed as {{ batch_materialization() }} (
    -- the live current version of each key the history rewrote since the last run
    select * from {{ ref('customers_history') }}
    where is_current and not is_deleted and _applied_through > {{ silver_watermark() }}
),

failed as (
    -- the checks of those versions that failed an expectation, with this run's actions
    {{ expectations_failed(ref('customers_checked'), 'changed', 'customers') }}
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
    from changed
    where
        {{ expectations_not_dropped('changed', 'failed') }}
        and {{ expectations_fail_guard('failed', 'customers') }}
)

select * from applied
