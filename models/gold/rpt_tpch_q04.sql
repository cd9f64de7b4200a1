-- TPC-H Q4, order priority checking, with the validation parameters (quarter from 1993-07-01).
with

orders as (
    select * from {{ ref('fct_orders') }}
),

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

late_orders as (
    select distinct order_id from order_lines
    where commit_date < receipt_date
),

report as (
    select
        orders.order_priority,
        count(*) as order_count
    from orders
    inner join late_orders on orders.order_id = late_orders.order_id
    where
        orders.order_date >= cast('1993-07-01' as date)
        and orders.order_date < cast('1993-10-01' as date)
    group by orders.order_priority
)

select * from report
order by order_priority
