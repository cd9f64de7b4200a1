-- The sales mart adds up to the fact table: lines, units and revenue.
with

facts as (
    select
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(net_revenue) as net_revenue
    from {{ ref('fct_order_line') }}
),

mart as (
    select
        sum(order_lines) as line_count,
        sum(units) as quantity,
        sum(net_revenue) as net_revenue
    from {{ ref('mart_sales_daily') }}
)

select
    facts.line_count as fact_lines,
    mart.line_count as mart_lines,
    facts.net_revenue as fact_revenue,
    mart.net_revenue as mart_revenue
from facts
cross join mart
where
    facts.line_count <> mart.line_count
    or facts.quantity <> mart.quantity
    or facts.net_revenue <> mart.net_revenue
