{{ config(materialized='ephemeral') }}

with

history as (
    select * from {{ ref('order_lines_history') }}
),

orders as (
    select * from {{ ref('orders_history') }}
),

current_versions as (
    select * from history
    where is_current and not is_deleted
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
    {{ expectations_check('with_order_date', 'order_lines') }}
)

select * from checked
