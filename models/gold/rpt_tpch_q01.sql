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
        -- averages as an exact decimal sum divided once in double: the same on every run and
        -- engine (Spark would average decimals to six places; a sum of doubles depends on the
        -- order the threads add them in)
        cast(sum(quantity) as double) / count(*) as avg_qty,
        cast(sum(extended_price) as double) / count(*) as avg_price,
        cast(sum(discount) as double) / count(*) as avg_disc,
        count(*) as count_order
    from order_lines
    where ship_date <= cast('1998-09-02' as date)
    group by return_flag, line_status
)

select * from report
order by return_flag, line_status
