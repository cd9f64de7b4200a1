{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key='order_id',
        meta={'history': [
            {'model': 'orders_history', 'keys': ['order_id']},
            {'model': 'order_lines_history', 'keys': ['order_id']},
        ]},
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('orders_history') }}
-- depends_on: {{ ref('order_lines_history') }}

with

orders as (
    select * from {{ ref('orders') }}
),

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

{% if is_incremental() %}
    touched_orders as (
        -- orders whose order or any of whose lines changed since the last run (as the
        -- replace_touched_keys strategy sees them: it replaces exactly these orders), with
        -- the latest change applied to each, a removed line's included (what the marts
        -- downstream see an order's change by)
        select
            order_id,
            max(_applied_through) as _applied_through
        from (
            select order_id, _applied_through from {{ ref('orders_history') }}
            where _applied_through > {{ silver_watermark() }}
            union all
            select order_id, _applied_through from {{ ref('order_lines_history') }}
            where _applied_through > {{ silver_watermark() }}
        ) as changes
        group by order_id
    ),
{% endif %}

touched as (
    select * from orders
    {% if is_incremental() %}
        where order_id in (select touched_orders.order_id from touched_orders)
    {% endif %}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        cast(sum(quantity) as decimal(38, 2)) as quantity,
        cast(sum(extended_price) as decimal(38, 2)) as extended_price,
        cast(sum(net_revenue) as decimal(38, 4)) as net_revenue,
        cast(sum(gross_charge) as decimal(38, 6)) as gross_charge,
        count(*) filter (where is_shipped) as shipped_line_count,
        count(*) filter (where is_returned) as returned_line_count,
        max(_applied_through) as _applied_through
    from order_lines
    where order_id in (select touched.order_id from touched)
    group by order_id
),

facts as (
    select
        -- keys
        touched.order_id,
        customers.customer_key,
        touched.customer_id,
        -- dates
        touched.order_date,
        -- degenerate dimensions
        touched.order_status,
        touched.order_priority,
        touched.ship_priority,
        touched.clerk,
        -- measures
        touched.total_price,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.shipped_line_count, 0) as shipped_line_count,
        coalesce(line_totals.returned_line_count, 0) as returned_line_count,
        coalesce(line_totals.quantity, 0) as quantity,
        coalesce(line_totals.extended_price, 0) as extended_price,
        coalesce(line_totals.net_revenue, 0) as net_revenue,
        coalesce(line_totals.gross_charge, 0) as gross_charge,
        -- technical
        greatest(
            touched._applied_through,
            line_totals._applied_through
            {%- if is_incremental() %},
                touched_orders._applied_through
            {%- endif %}
        ) as _applied_through
    from touched
    left join line_totals on touched.order_id = line_totals.order_id
    {% if is_incremental() -%}
        left join touched_orders on touched.order_id = touched_orders.order_id
    {% endif -%}
    left join customers
        on {{ point_in_time_join('customers', 'cast(touched.order_date as timestamp)',
                                 {'touched.customer_id': 'customer_id'},
                                 from_column='effective_from') }}
)

select * from facts
