-- TPC-H Q6, forecasting revenue change, with the validation parameters (1994, 0.06, 24).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

report as (
    select sum(extended_price * discount) as revenue
    from order_lines
    where
        ship_date >= cast('1994-01-01' as date)
        and ship_date < cast('1995-01-01' as date)
        and discount between 0.05 and 0.07
        and quantity < 24
)

select * from report
