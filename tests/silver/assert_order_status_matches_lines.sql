-- An order's status agrees with its lines: F when every line has shipped, O when none has,
-- P otherwise. Warn, never error, whatever the number: orders and lines arrive through separate
-- change feeds, and a source whose tables disagree is reported, not a reason to stop publishing.
{{ config(severity='warn') }}

with

orders as (
    select * from {{ ref('orders') }}
),

order_lines as (
    select * from {{ ref('order_lines') }}
),

line_status as (
    select
        order_id,
        case
            when bool_and(line_status = 'F') then 'F'
            when bool_and(line_status = 'O') then 'O'
            else 'P'
        end as expected_status
    from order_lines
    group by order_id
)

select
    orders.order_id,
    orders.order_status,
    line_status.expected_status
from orders
inner join line_status on orders.order_id = line_status.order_id
where orders.order_status <> line_status.expected_status
