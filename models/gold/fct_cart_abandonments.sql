{%- set within_minutes = var('cart_abandonment_minutes', 30) | int %}

with

events as (
    select * from {{ ref('web_events') }}
),

carts as (
    select * from events
    where event_type = 'add_to_cart'
),

checkouts as (
    select
        session_id,
        event_at
    from events
    where event_type = 'checkout'
),

event_time as (
    -- how far event time has got: a cart younger than the window cannot be judged yet
    select max(event_at) as watermark from events
),

judged_carts as (
    select
        carts.*,
        -- an ANSI interval, not dbt.dateadd: dbt-spark's goes through unix seconds and drops
        -- the event's milliseconds
        carts.event_at + interval '{{ within_minutes }}' minute as abandoned_at
    from carts
    cross join event_time
    where carts.event_at + interval '{{ within_minutes }}' minute <= event_time.watermark
),

checked_out as (
    select distinct judged_carts.event_id
    from judged_carts
    inner join checkouts
        on
            judged_carts.session_id = checkouts.session_id
            and judged_carts.event_at <= checkouts.event_at
            and judged_carts.abandoned_at > checkouts.event_at
),

abandoned as (
    select
        -- keys
        judged_carts.event_id as cart_event_id,
        judged_carts.session_id,
        judged_carts.customer_id,
        judged_carts.part_id,
        -- times
        judged_carts.event_at as added_at,
        judged_carts.abandoned_at
    from judged_carts
    left join checked_out
        on judged_carts.event_id = checked_out.event_id
    where checked_out.event_id is null
)

select * from abandoned
