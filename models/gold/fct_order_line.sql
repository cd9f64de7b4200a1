{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=['order_id', 'line_number'],
        meta={'history': [
            {'model': 'order_lines_history', 'keys': ['order_id', 'line_number']},
            {'model': 'orders_history', 'keys': ['order_id']},
        ]},
        on_schema_change='fail',
    )
}}

-- depends_on: {{ ref('order_lines_history') }}

with

order_lines as (
    select * from {{ ref('order_lines') }}
),

orders as (
    select * from {{ ref('orders') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

parts as (
    select * from {{ ref('dim_part') }}
),

suppliers as (
    select * from {{ ref('dim_supplier') }}
),

orders_history as (
    select * from {{ ref('orders_history') }}
),

touched_orders as (
    -- orders that changed since the last run, deletes included (as the strategy sees them)
    select order_id from orders_history
    where _applied_through > {{ silver_watermark() }}
),

touched as (
    -- lines whose line or whose order changed since the last run (all lines on a first run)
    select * from order_lines
    where
        _applied_through > {{ silver_watermark() }}
        or order_id in (select touched_orders.order_id from touched_orders)
),

facts as (
    select
        -- keys
        touched.order_id,
        touched.line_number,
        customers.customer_key,
        parts.part_key,
        suppliers.supplier_key,
        orders.customer_id,
        touched.part_id,
        touched.supplier_id,
        -- dates
        orders.order_date,
        touched.ship_date,
        touched.commit_date,
        touched.receipt_date,
        -- degenerate dimensions and flags
        orders.order_status,
        orders.order_priority,
        orders.ship_priority,
        orders.clerk,
        touched.return_flag,
        touched.line_status,
        touched.ship_mode,
        touched.ship_instructions,
        touched.return_flag = 'R' as is_returned,
        touched.line_status = 'F' as is_shipped,
        touched.receipt_date > touched.commit_date as is_late_delivery,
        -- measures
        touched.quantity,
        touched.extended_price,
        touched.discount,
        touched.tax,
        cast(touched.extended_price * (1 - touched.discount) as decimal(18, 4)) as net_revenue,
        cast(touched.extended_price * (1 - touched.discount) * (1 + touched.tax) as decimal(18, 6))
            as gross_charge,
        -- technical
        greatest(touched._applied_through, coalesce(orders._applied_through, touched._applied_through))
            as _applied_through
    from touched
    left join orders on touched.order_id = orders.order_id
    left join customers
        on {{ point_in_time_join('customers', 'cast(orders.order_date as timestamp)',
                                 {'orders.customer_id': 'customer_id'},
                                 from_column='effective_from') }}
    left join parts
        on {{ point_in_time_join('parts', 'cast(orders.order_date as timestamp)',
                                 {'touched.part_id': 'part_id'}, from_column='effective_from') }}
    left join suppliers
        on {{ point_in_time_join('suppliers', 'cast(orders.order_date as timestamp)',
                                 {'touched.supplier_id': 'supplier_id'},
                                 from_column='effective_from') }}
)

select * from facts
