-- TPC-H Q5, local supplier volume, with the validation parameters (ASIA, 1994).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

suppliers as (
    select * from {{ ref('dim_supplier') }}
),

report as (
    select
        customers.nation_name,
        sum(order_lines.extended_price * (1 - order_lines.discount)) as revenue
    from order_lines
    inner join customers on order_lines.customer_key = customers.customer_key
    inner join suppliers on order_lines.supplier_key = suppliers.supplier_key
    where
        customers.nation_id = suppliers.nation_id
        and customers.region_name = 'ASIA'
        and order_lines.order_date >= cast('1994-01-01' as date)
        and order_lines.order_date < cast('1995-01-01' as date)
    group by customers.nation_name
)

select * from report
order by revenue desc
