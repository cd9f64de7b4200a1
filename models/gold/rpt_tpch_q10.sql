-- TPC-H Q10, returned item reporting, with the validation parameters (quarter from 1993-10-01).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

report as (
    select
        customers.customer_id,
        customers.customer_name,
        sum(order_lines.extended_price * (1 - order_lines.discount)) as revenue,
        customers.account_balance,
        customers.nation_name,
        customers.address,
        customers.phone,
        customers.comment
    from order_lines
    inner join customers on order_lines.customer_key = customers.customer_key
    where
        order_lines.order_date >= cast('1993-10-01' as date)
        and order_lines.order_date < cast('1994-01-01' as date)
        and order_lines.return_flag = 'R'
    group by
        customers.customer_id,
        customers.customer_name,
        customers.account_balance,
        customers.phone,
        customers.nation_name,
        customers.address,
        customers.comment
)

select * from report
order by revenue desc
limit 20
