-- An order's total equals the sum of its live lines (price after discount, tax included),
-- within two cents per line (dbgen truncates each line's amounts to the cent). Warn when
-- orders disagree, never error, whatever the number: CDC delivers orders and lines separately,
-- so they may disagree until both have arrived, a line dropped by an expectation leaves its
-- order short, and a source whose tables disagree is reported, not a reason to stop publishing.
{{ config(severity='warn') }}

with

orders as (
    select * from {{ ref('orders') }}
),

order_lines as (
    select * from {{ ref('order_lines') }}
),

line_totals as (
    select
        order_id,
        sum(extended_price * (1 + tax) * (1 - discount)) as lines_total,
        count(*) as line_count
    from order_lines
    group by order_id
)

select
    orders.order_id,
    orders.total_price,
    line_totals.lines_total
from orders
left join line_totals on orders.order_id = line_totals.order_id
where
    abs(orders.total_price - coalesce(line_totals.lines_total, 0))
    > 0.02 * coalesce(line_totals.line_count, 1)
