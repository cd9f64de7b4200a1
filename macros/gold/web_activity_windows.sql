{#
    The body of a `mart_web_activity_<n>m` model: the clickstream in tumbling event-time
    windows of `minutes` minutes, one row per window and product (`part_id`, null for events
    without one: searches, other pages), with the events of each type and the revenue of the
    purchases at the part's retail price valid at the event's time. Incremental as Structured
    Streaming's update mode: a run recomputes every window that an event applied since the last
    run falls in (a late event within silver's watermark updates its window; one beyond it is in
    `silver.quarantine_web_events`), and the `replace_keys` strategy replaces those windows'
    rows. Duplicates never reach it (silver keeps one row per event id).
#}
{% macro web_activity_windows(minutes) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_keys',
        unique_key='window_start',
        on_schema_change='fail',
    ) }}
    with

    events as (
        select * from {{ ref('web_events') }}
    ),

    parts_history as (
        select * from {{ ref('parts_history') }}
    ),

    touched_windows as (
        select distinct {{ window_start('event_at', minutes) }} as window_start
        from events
        where _applied_through > {{ silver_watermark() }}
    ),

    windowed as (
        select
            {{ window_start('events.event_at', minutes) }} as window_start,
            events.*
        from events
    ),

    in_touched_windows as (
        select windowed.*
        from windowed
        inner join touched_windows
            on windowed.window_start = touched_windows.window_start
    ),

    priced as (
        select
            in_touched_windows.*,
            parts_history.retail_price
        from in_touched_windows
        left join parts_history
            on {{ point_in_time_join('parts_history', 'in_touched_windows.event_at',
                {'in_touched_windows.part_id': 'part_id'}) }}
    ),

    aggregated as (
        select
            -- grain
            window_start,
            {{ dbt.dateadd('minute', minutes, 'window_start') }} as window_end,
            part_id,
            -- events by type
            count(*) as events,
            count(*) filter (where event_type = 'page_view') as page_views,
            count(*) filter (where event_type = 'search') as searches,
            count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
            count(*) filter (where event_type = 'checkout') as checkouts,
            count(*) filter (where event_type = 'purchase') as purchases,
            cast(coalesce(sum(retail_price) filter (where event_type = 'purchase'), 0)
                as decimal(15, 2)) as revenue,
            count(distinct session_id) as sessions,
            -- technical
            max(_applied_through) as _applied_through
        from priced
        group by window_start, part_id
    )

    select * from aggregated
{% endmacro %}
