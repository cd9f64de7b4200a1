-- TPC-H Q3, shipping priority, with the validation parameters (BUILDING, 1995-03-15).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

report as (
    select
        order_lines.order_id,
        sum(order_lines.extended_price * (1 - order_lines.discount)) as revenue,
        order_lines.order_date,
        order_lines.ship_priority
    from order_lines
    inner join customers on order_lines.customer_key = customers.customer_key
    where
        customers.market_segment = 'BUILDING'
        and order_lines.order_date < cast('1995-03-15' as date)
        and order_lines.ship_date > cast('1995-03-15' as date)
    group by order_lines.order_id, order_lines.order_date, order_lines.ship_priority
)

select * from report
order by revenue desc, order_date asc
limit 10
