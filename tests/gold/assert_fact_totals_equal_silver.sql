-- The order line fact holds exactly silver's live order lines: same count, units and revenue.
with

facts as (
    select
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(net_revenue) as net_revenue
    from {{ ref('fct_order_line') }}
),

silver as (
    select
        count(*) as line_count,
        sum(quantity) as quantity,
        sum(extended_price * (1 - discount)) as net_revenue
    from {{ ref('order_lines') }}
)

select
    facts.line_count as fact_lines,
    silver.line_count as silver_lines,
    facts.net_revenue as fact_revenue,
    silver.net_revenue as silver_revenue
from facts
cross join silver
where
    facts.line_count <> silver.line_count
    or facts.quantity <> silver.quantity
    or facts.net_revenue <> silver.net_revenue
