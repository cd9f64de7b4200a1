{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='supplier_id',
        history='suppliers_history',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('suppliers_history') }}

with

checked as not materialized (
    select * from {{ ref('suppliers_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as not materialized (
    {{ expectation_actions('checked', 'suppliers') }}
),

applied as (
    select
        -- keys
        supplier_id,
        nation_id,
        -- attributes
        supplier_name,
        address,
        phone,
        account_balance,
        comment,
        -- technical
        valid_from as _changed_at,
        _applied_through
    from actioned
    where
        not is_deleted
        and len(_dropped_by) = 0
        and {{ expectations_fail_guard('actioned', 'suppliers') }}
)

select * from applied
