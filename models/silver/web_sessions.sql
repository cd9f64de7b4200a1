with

events as (
    select * from {{ ref('web_events') }}
),

sessions as (
    select
        -- keys
        session_id,
        max(customer_id) as customer_id,
        -- times
        min(event_at) as started_at,
        max(event_at) as ended_at,
        -- funnel
        count(*) as events,
        count(*) filter (where event_type = 'page_view') as page_views,
        count(*) filter (where event_type = 'page_view' and part_id is not null) as product_views,
        count(*) filter (where event_type = 'search') as searches,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'checkout') as checkouts,
        count(*) filter (where event_type = 'purchase') as purchases
    from events
    group by session_id
)

select
    *,
    purchases > 0 as is_converted,
    customer_id is not null as is_logged_in
from sessions
