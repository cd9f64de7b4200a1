with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

sales as (
    select
        -- grain
        order_lines.order_date,
        customers.nation_name,
        customers.region_name,
        customers.market_segment,
        -- measures
        count(distinct order_lines.order_id) as orders,
        count(*) as order_lines,
        sum(order_lines.quantity) as units,
        sum(order_lines.extended_price) as extended_price,
        sum(order_lines.net_revenue) as net_revenue,
        sum(order_lines.gross_charge) as gross_charge
    from order_lines
    left join customers on order_lines.customer_key = customers.customer_key
    group by
        order_lines.order_date,
        customers.nation_name,
        customers.region_name,
        customers.market_segment
)

select * from sales
