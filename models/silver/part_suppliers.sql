{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=['part_id', 'supplier_id'],
        history='part_suppliers_history',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('part_suppliers_history') }}

with

checked as not materialized (
    select * from {{ ref('part_suppliers_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as not materialized (
    {{ expectation_actions('checked', 'part_suppliers') }}
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
    from actioned
    where
        not is_deleted
        and len(_dropped_by) = 0
        and {{ expectations_fail_guard('actioned', 'part_suppliers') }}
)

select * from applied
