{#
    The body of a web funnel mart: the sessions of `silver.web_sessions` grouped by `grain`
    (an expression of the session's start, `started_at`) as the column `grain_name`, with the
    sessions reaching each step (product view, cart, checkout, purchase), the steps' events and
    the conversion rates between steps. A session counts in the group it started in, with every
    step it has reached so far: a session still under way moves up its funnel as its events
    arrive (the live funnel per window), and one that is over stays where it ended.
#}
{% macro web_session_funnel(grain, grain_name) %}
    with

    sessions as (
        select * from {{ ref('web_sessions') }}
    ),

    funnel as (
        select
            -- grain
            {{ grain }} as {{ grain_name }},
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
        group by {{ grain }}
    )

    select
        *,
        sessions_with_cart / nullif(sessions_with_product_view, 0) as view_to_cart_rate,
        sessions_with_checkout / nullif(sessions_with_cart, 0) as cart_to_checkout_rate,
        sessions_with_purchase / nullif(sessions_with_checkout, 0) as checkout_to_purchase_rate,
        sessions_with_purchase / nullif(sessions, 0) as conversion_rate
    from funnel
{% endmacro %}
