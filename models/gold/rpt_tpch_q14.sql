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
        -- in double: Spark would round the ratio of two decimal sums to six places
        cast(order_lines.extended_price * (1 - order_lines.discount) as double) as revenue
    from order_lines
    inner join parts on order_lines.part_key = parts.part_key
    where
        order_lines.ship_date >= cast('1995-09-01' as date)
        and order_lines.ship_date < cast('1995-10-01' as date)
),

report as (
    select 100.00 * sum(case when is_promo then revenue else 0 end) / sum(revenue) as promo_revenue
    from revenue
)

select * from report
