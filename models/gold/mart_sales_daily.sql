with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

per_order as (
    -- lines to orders first: an order's lines share its date and customer version, so the
    -- join to the customer dimension and the count of orders work on orders, not lines (no
    -- count distinct); lines whose order has not arrived form one group per order with nulls
    select
        order_id,
        order_date,
        customer_key,
        count(*) as order_lines,
        cast(sum(quantity) as decimal(38, 2)) as units,
        cast(sum(extended_price) as decimal(38, 2)) as extended_price,
        cast(sum(net_revenue) as decimal(38, 4)) as net_revenue,
        cast(sum(gross_charge) as decimal(38, 6)) as gross_charge
    from order_lines
    group by order_id, order_date, customer_key
),

sales as (
    select
        -- grain
        per_order.order_date,
        customers.nation_name,
        customers.region_name,
        customers.market_segment,
        -- measures
        count(*) as orders,
        cast(sum(per_order.order_lines) as bigint) as order_lines,
        cast(sum(per_order.units) as decimal(38, 2)) as units,
        cast(sum(per_order.extended_price) as decimal(38, 2)) as extended_price,
        cast(sum(per_order.net_revenue) as decimal(38, 4)) as net_revenue,
        cast(sum(per_order.gross_charge) as decimal(38, 6)) as gross_charge
    from per_order
    left join customers on per_order.customer_key = customers.customer_key
    group by
        per_order.order_date,
        customers.nation_name,
        customers.region_name,
        customers.market_segment
)

select * from sales
