-- TPC-H Q1, pricing summary report, with the validation parameters (DELTA = 90 days).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

report as (
    select
        return_flag,
        line_status,
        cast(sum(quantity) as decimal(38, 2)) as sum_qty,
        cast(sum(extended_price) as decimal(38, 2)) as sum_base_price,
        sum(extended_price * (1 - discount)) as sum_disc_price,
        sum(extended_price * (1 - discount) * (1 + tax)) as sum_charge,
        -- averages in double: Spark would average decimals to six places
        avg(cast(quantity as double)) as avg_qty,
        avg(cast(extended_price as double)) as avg_price,
        avg(cast(discount as double)) as avg_disc,
        count(*) as count_order
    from order_lines
    where ship_date <= cast('1998-09-02' as date)
    group by return_flag, line_status
)

select * from report
order by return_flag, line_status
