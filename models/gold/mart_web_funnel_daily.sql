with

sessions as (
    select * from {{ ref('web_sessions') }}
),

funnel as (
    select
        -- grain
        cast(started_at as date) as session_date,
        -- sessions reaching each step
        count(*) as sessions,
        count(*) filter (where product_views > 0) as sessions_with_product_view,
        count(*) filter (where add_to_carts > 0) as sessions_with_cart,
        count(*) filter (where checkouts > 0) as sessions_with_checkout,
        count(*) filter (where purchases > 0) as sessions_with_purchase,
        -- events
        cast(sum(product_views) as bigint) as product_views,
        cast(sum(add_to_carts) as bigint) as add_to_carts,
        cast(sum(checkouts) as bigint) as checkouts,
        cast(sum(purchases) as bigint) as purchases
    from sessions
    group by cast(started_at as date)
)

select
    *,
    sessions_with_cart / nullif(sessions_with_product_view, 0) as view_to_cart_rate,
    sessions_with_checkout / nullif(sessions_with_cart, 0) as cart_to_checkout_rate,
    sessions_with_purchase / nullif(sessions_with_checkout, 0) as checkout_to_purchase_rate,
    sessions_with_purchase / nullif(sessions, 0) as conversion_rate
from funnel
