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

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(extended_price) as extended_price,
        sum(net_revenue) as net_revenue,
        sum(gross_charge) as gross_charge,
        count(*) filter (where is_shipped) as shipped_line_count,
        count(*) filter (where is_returned) as returned_line_count
    from order_lines
    group by order_id
),

facts as (
    select
        -- keys
        orders.order_id,
        customers.customer_key,
        orders.customer_id,
        -- dates
        orders.order_date,
        -- degenerate dimensions
        orders.order_status,
        orders.order_priority,
        orders.ship_priority,
        orders.clerk,
        -- measures
        orders.total_price,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.shipped_line_count, 0) as shipped_line_count,
        coalesce(line_totals.returned_line_count, 0) as returned_line_count,
        coalesce(line_totals.quantity, 0) as quantity,
        coalesce(line_totals.extended_price, 0) as extended_price,
        coalesce(line_totals.net_revenue, 0) as net_revenue,
        coalesce(line_totals.gross_charge, 0) as gross_charge
    from orders
    left join line_totals on orders.order_id = line_totals.order_id
    left join customers
        on {{ point_in_time_join('customers', 'cast(orders.order_date as timestamp)',
                                 {'orders.customer_id': 'customer_id'},
                                 from_column='effective_from') }}
)

select * from facts
