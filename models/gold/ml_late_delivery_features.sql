{{ config(tags=['ml']) }}

{#
    Point in time: a line's prediction time is its order date, and every feature is what was
    known then. The supplier's delivery record counts only deliveries received strictly before
    the order date (a delivery is known from its receipt date on). The label is known as soon
    as it is decided: when the line is received (late if after its commit date), or when its
    commit date has passed without a receipt (late, whenever it arrives). A line's label is
    final once its commit date is past: which lines those are depends on the commit date, known
    when the order is placed, not on the outcome, so training on them is not tilted towards
    lines that happened to arrive early.
#}

with

order_lines as (
    -- a line whose order has not arrived yet (in flight) has no prediction time: left out
    -- until its order arrives
    select * from {{ ref('fct_order_line') }}
    where order_date is not null
),

parts as (
    select * from {{ ref('dim_part') }}
),

as_of as (
    -- the data's current date: the last order date (day 0: the extract date 1998-08-02)
    select max(order_date) as as_of_date from order_lines
),

lines as (
    select
        order_lines.*,
        as_of.as_of_date,
        count(*) over (partition by order_lines.order_id) as order_line_count
    from order_lines
    cross join as_of
),

supplier_events as (
    -- a prediction sorts before the deliveries received on its own date: strictly before
    select
        supplier_id,
        order_date as event_date,
        0 as event_order,
        order_id,
        line_number,
        0 as delivered,
        0 as delivered_late
    from lines
    union all
    select
        supplier_id,
        receipt_date as event_date,
        1 as event_order,
        null as order_id,
        null as line_number,
        1 as delivered,
        cast(is_late_delivery as integer) as delivered_late
    from lines
    where receipt_date <= as_of_date
),

supplier_record as (
    select
        order_id,
        line_number,
        cast(sum(delivered) over supplier_until_now as bigint) as supplier_prior_deliveries,
        cast(sum(delivered_late) over supplier_until_now as bigint)
            as supplier_prior_late_deliveries
    from supplier_events
    window
        supplier_until_now as (
            partition by supplier_id
            order by event_date, event_order
            rows between unbounded preceding and current row
        )
    qualify event_order = 0
),

features as (
    select
        -- keys
        lines.order_id,
        lines.line_number,
        lines.supplier_id,
        -- time
        lines.order_date as predicted_at,
        lines.as_of_date,
        lines.commit_date,
        lines.commit_date < lines.as_of_date as is_label_final,
        -- features: known when the order is placed
        cast(
            {{ dbt.datediff('lines.order_date', 'lines.commit_date', 'day') }}  -- noqa: LT05
            as integer
        ) as days_to_commit,
        lines.ship_mode,
        lines.ship_instructions,
        lines.order_priority,
        lines.quantity,
        lines.discount,
        lines.order_line_count,
        parts.size as part_size,
        supplier_record.supplier_prior_deliveries,
        cast(supplier_record.supplier_prior_late_deliveries as double)
        / nullif(supplier_record.supplier_prior_deliveries, 0) as supplier_prior_late_rate,
        -- label: known once the line is received, or once its commit date has passed
        case when lines.receipt_date <= lines.as_of_date then lines.receipt_date end
            as received_date,
        case
            when lines.receipt_date <= lines.as_of_date then lines.is_late_delivery
            when lines.commit_date < lines.as_of_date then true
        end as is_late_delivery
    from lines
    inner join supplier_record
        on
            lines.order_id = supplier_record.order_id
            and lines.line_number = supplier_record.line_number
    left join parts on lines.part_key = parts.part_key
)

select * from features
