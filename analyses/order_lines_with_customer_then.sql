-- Point-in-time join: each order with the customer's market segment valid when it was placed
-- (not today's segment).
with

orders as (
    select * from {{ ref('orders') }}
),

customer_versions as (
    select * from {{ ref('customers_history') }}
    where not is_deleted
)

select
    orders.order_id,
    orders.order_date,
    customer_versions.customer_id,
    customer_versions.market_segment as segment_at_order
from orders
left join customer_versions
    on {{ point_in_time_join('customer_versions', 'orders.order_date::timestamp',
                             {'orders.customer_id': 'customer_id'}) }}
