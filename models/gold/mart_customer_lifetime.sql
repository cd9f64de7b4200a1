with

customers as (
    select * from {{ ref('dim_customer') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

current_customers as (
    select * from customers
    where is_current
),

lifetime as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders,
        cast(sum(net_revenue) as decimal(38, 4)) as net_revenue,
        cast(sum(total_price) as decimal(38, 2)) as total_price
    from orders
    group by customer_id
)

select
    -- keys
    current_customers.customer_id,
    current_customers.customer_key,
    -- current attributes
    current_customers.customer_name,
    current_customers.market_segment,
    current_customers.nation_name,
    current_customers.region_name,
    -- lifetime
    lifetime.first_order_date,
    lifetime.last_order_date,
    coalesce(lifetime.orders, 0) as orders,
    coalesce(lifetime.net_revenue, 0) as net_revenue,
    coalesce(lifetime.total_price, 0) as total_price
from current_customers
left join lifetime on current_customers.customer_id = lifetime.customer_id
