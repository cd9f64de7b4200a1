with

orders as (
    select * from {{ ref('orders') }}
),

order_lines as (
    select * from {{ ref('order_lines') }}
),

web_events as (
    select * from {{ ref('web_events') }}
),

source_bounds as (
    -- each source's first and last date in one pass over it (not its dates stacked, then
    -- reduced: three columns of every order line)
    select
        min(order_date) as first_date,
        max(order_date) as last_date
    from orders
    union all
    select
        least(min(ship_date), min(commit_date), min(receipt_date)) as first_date,
        greatest(max(ship_date), max(commit_date), max(receipt_date)) as last_date
    from order_lines
    union all
    select
        cast(min(event_at) as date) as first_date,
        cast(max(event_at) as date) as last_date
    from web_events
),

bounds as (
    select
        min(first_date) as first_date,
        max(last_date) as last_date
    from source_bounds
),

days as (
    {{ date_spine('(select first_date from bounds)', '(select last_date from bounds)') }}
),

calendar as (
    select
        -- keys
        date_day,
        -- calendar
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        {{ date_part_name('month', 'date_day') }} as month_name,
        cast(extract(week from date_day) as integer) as iso_week_number,
        cast({{ iso_day_of_week('date_day') }} as integer) as day_of_week_number,
        {{ date_part_name('day', 'date_day') }} as day_name,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date
    from days
)

select * from calendar
