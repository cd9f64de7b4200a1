{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=['order_id', 'line_number'],
        history='order_lines_history',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('order_lines_history') }}

with

checked as not materialized (
    select * from {{ ref('order_lines_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as not materialized (
    {{ expectation_actions('checked', 'order_lines') }}
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
    from actioned
    where
        not is_deleted
        and len(_dropped_by) = 0
        and {{ expectations_fail_guard('actioned', 'order_lines') }}
)

select * from applied
