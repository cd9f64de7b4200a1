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
        100.00 * sum(
            case
                when parts.part_type like 'PROMO%'
                    then order_lines.extended_price * (1 - order_lines.discount)
                else 0
            end
        ) / sum(order_lines.extended_price * (1 - order_lines.discount)) as promo_revenue
    from order_lines
    inner join parts on order_lines.part_key = parts.part_key
    where
        order_lines.ship_date >= cast('1995-09-01' as date)
        and order_lines.ship_date < cast('1995-10-01' as date)
)

select * from report
