-- TPC-H Q14, promotion effect, with the validation parameters (month from 1995-09-01).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

parts as (
    select * from {{ ref('dim_part') }}
),

revenue as (
    select
        parts.part_type like 'PROMO%' as is_promo,
        order_lines.extended_price * (1 - order_lines.discount) as revenue
    from order_lines
    inner join parts on order_lines.part_key = parts.part_key
    where
        order_lines.ship_date >= cast('1995-09-01' as date)
        and order_lines.ship_date < cast('1995-10-01' as date)
),

sums as (
    select
        -- exact decimal sums divided once in double: the same on every run and engine (Spark
        -- would round a quotient of decimals to six places)
        cast(sum(case when is_promo then revenue else 0 end) as double) as promo,
        cast(sum(revenue) as double) as total
    from revenue
),

report as (
    select 100.00 * promo / total as promo_revenue from sums
)

select * from report
