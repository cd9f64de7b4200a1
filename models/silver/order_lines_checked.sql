{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
    )
}}

with

history as {{ materialization_hint('not materialized') }} (
    select * from {{ ref('order_lines_history') }}
),

orders as (
    select * from {{ ref('orders_history') }}
),

current_versions as {{ batch_materialization() }} (
    -- the batch: the current version of each key the history rewrote since the last run
    select * from history
    where is_current and _applied_through > {{ silver_watermark() }}
),

with_order_date as (
    -- the order's date, for the ship-date expectation (null while the order is unknown)
    select
        current_versions.*,
        orders.order_date as _order_date
    from current_versions
    left join orders
        on
            current_versions.order_id = orders.order_id
            and orders.is_current
            and not orders.is_deleted
),

checked as (
    {{ expectations_check(
        'with_order_date', 'order_lines', unless='is_deleted', batch='current_versions'
    ) }}
)

select * from checked
