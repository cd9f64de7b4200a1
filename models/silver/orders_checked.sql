{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='append_new_columns',
    )
}}

with

history as (
    select * from {{ ref('orders_history') }}
),

current_versions as (
    -- the current version of each key the history rewrote since the last run; a deleted key's
    -- (unchecked) tells consumers that missed a run to drop the key
    select * from history
    where is_current and _applied_through > {{ silver_watermark() }}
),

checked as (
    {{ expectations_check('current_versions', 'orders', unless='is_deleted') }}
)

select * from checked
