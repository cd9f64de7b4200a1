{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='customer_id',
        meta={'history': [
            {'model': 'customers_history', 'keys': ['customer_id']},
            {'model': 'orders_history', 'keys': ['customer_id']},
            {'model': 'fct_orders', 'keys': ['customer_id']},
        ]},
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('customers_history') }}
-- depends_on: {{ ref('orders_history') }}

with

customers as (
    select * from {{ ref('dim_customer') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

{% if is_incremental() %}
    touched_customers as (
        -- customers whose own row, any version of one of their orders (an order moved to
        -- another customer or deleted touches its old customer too) or any order's lines
        -- changed since the last run (as the replace_touched_keys strategy sees them: it
        -- replaces exactly these customers, and deletes those no longer current)
        select customer_id from {{ ref('customers_history') }}
        where _applied_through > {{ silver_watermark() }}
        union
        select customer_id from {{ ref('orders_history') }}
        where _applied_through > {{ silver_watermark() }}
        union
        select customer_id from orders
        where _applied_through > {{ silver_watermark() }}
    ),
{% endif %}

current_customers as (
    select * from customers
    where is_current
    {% if is_incremental() %}
        and customer_id in (select touched_customers.customer_id from touched_customers)
    {% endif %}
),

lifetime as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders,
        cast(sum(net_revenue) as decimal(38, 4)) as net_revenue,
        cast(sum(total_price) as decimal(38, 2)) as total_price,
        max(_applied_through) as _applied_through
    from orders
    {% if is_incremental() %}
        where customer_id in (select current_customers.customer_id from current_customers)
    {% endif %}
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
    coalesce(lifetime.total_price, 0) as total_price,
    -- technical
    lifetime._applied_through
from current_customers
left join lifetime on current_customers.customer_id = lifetime.customer_id
