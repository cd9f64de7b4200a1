-- TPC-H Q14, promotion effect, with the validation parameters (month from 1995-09-01).
with

order_lines as (
    select * from {{ ref('fct_order_line') }}
),

parts as (
    select * from {{ ref('dim_part') }}
),

report as (
    select
        -- a ratio in double: Spark would round a quotient of decimals to six places
        100.00 * sum(
            case
                when parts.part_type like 'PROMO%'
                    then cast(order_lines.extended_price * (1 - order_lines.discount) as double)
                else 0
            end
        ) / sum(cast(order_lines.extended_price * (1 - order_lines.discount) as double))
        as promo_revenue
    from order_lines
    inner join parts on order_lines.part_key = parts.part_key
    where
        order_lines.ship_date >= cast('1995-09-01' as date)
        and order_lines.ship_date < cast('1995-10-01' as date)
)

select * from report
