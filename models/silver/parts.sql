{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='part_id',
        history='parts_history',
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('parts_history') }}

with

checked as not materialized (
    select * from {{ ref('parts_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as not materialized (
    {{ expectation_actions('checked', 'parts') }}
),

applied as (
    select
        -- keys
        part_id,
        -- attributes
        part_name,
        manufacturer,
        brand,
        part_type,
        size,
        container,
        retail_price,
        comment,
        -- technical
        valid_from as _changed_at,
        _applied_through
    from actioned
    where
        not is_deleted
        and len(_dropped_by) = 0
        and {{ expectations_fail_guard('actioned', 'parts') }}
)

select * from applied
