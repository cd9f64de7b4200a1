-- TPC-H Q12, shipping modes and order priority, with the validation parameters (MAIL, SHIP, 1994).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

report as (
    select
        ship_mode,
        count(*) filter (where order_priority in ('1-URGENT', '2-HIGH')) as high_line_count,
        count(*) filter (where order_priority not in ('1-URGENT', '2-HIGH')) as low_line_count
    from order_lines
    where
        ship_mode in ('MAIL', 'SHIP')
        and commit_date < receipt_date
        and ship_date < commit_date
        and receipt_date >= cast('1994-01-01' as date)
        and receipt_date < cast('1995-01-01' as date)
    group by ship_mode
)

select * from report
order by ship_mode
