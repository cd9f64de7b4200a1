-- TPC-H Q18, large volume customer, with the validation parameters (quantity 300).
with

orders as (
    select * from {{ ref('fct_orders') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

report as (
    select
        customers.customer_name,
        customers.customer_id,
        orders.order_id,
        orders.order_date,
        orders.total_price,
        orders.quantity as sum_qty
    from orders
    inner join customers on orders.customer_key = customers.customer_key
    where orders.quantity > 300
)

select * from report
order by total_price desc, order_date asc
limit 100
