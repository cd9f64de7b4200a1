{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=['order_date', 'nation_name', 'region_name', 'market_segment'],
        meta={'history': [
            {'model': 'orders_history', 'keys': ['order_date']},
            {'model': 'fct_orders', 'keys': ['order_date']},
            {'always': 'order_date is null'},
        ]},
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('orders_history') }}
-- depends_on: {{ ref('fct_orders') }}

with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

{% if is_incremental() %}
    touched_dates as (
        -- the dates of every version of an order changed since the last run (an order moved
        -- to another date or deleted touches its old date too) and of the orders whose lines
        -- changed (as the replace_touched_keys strategy sees them: it replaces exactly these
        -- dates, and the group of lines whose order has not arrived, on every run)
        select order_date from {{ ref('orders_history') }}
        where _applied_through > {{ silver_watermark() }}
        union
        select order_date from {{ ref('fct_orders') }}
        where _applied_through > {{ silver_watermark() }}
    ),
{% endif %}

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
        cast(sum(gross_charge) as decimal(38, 6)) as gross_charge,
        max(_applied_through) as _applied_through
    from order_lines
    {% if is_incremental() %}
        where
            order_date is null
            or order_date in (select touched_dates.order_date from touched_dates)
    {% endif %}
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
        cast(sum(per_order.gross_charge) as decimal(38, 6)) as gross_charge,
        -- technical
        max(per_order._applied_through) as _applied_through
    from per_order
    left join customers on per_order.customer_key = customers.customer_key
    group by
        per_order.order_date,
        customers.nation_name,
        customers.region_name,
        customers.market_segment
)

select * from sales
