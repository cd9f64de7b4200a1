{%- set sigmas = var('web_anomaly_sigmas', 3) %}
{%- set trailing = var('web_anomaly_trailing_windows', 60) | int %}
{%- set min_history = var('web_anomaly_min_history', 30) | int %}
{#- a smaller deviation is noise at any sigma (5 events in a minute against a mean of 1) #}
{%- set min_deviation = var('web_anomaly_min_deviation', 10) %}

with

activity as (
    select * from {{ ref('mart_web_activity_1m') }}
),

per_minute as (
    select
        window_start,
        cast(sum(events) as bigint) as events
    from activity
    group by window_start
),

with_trailing as (
    select
        window_start,
        events,
        avg(events) over trailing_windows as trailing_mean,
        stddev_samp(events) over trailing_windows as trailing_stddev,
        count(*) over trailing_windows as trailing_count
    from per_minute
    window trailing_windows as (
        order by window_start rows between {{ trailing }} preceding and 1 preceding
    )
),

banded as (
    select
        *,
        greatest({{ sigmas }} * trailing_stddev, {{ min_deviation }}) as half_band
    from with_trailing
    where trailing_count >= {{ min_history }}
),

anomalies as (
    select
        -- grain
        window_start,
        -- the metric and its trailing band
        events,
        trailing_mean,
        trailing_stddev,
        trailing_mean - half_band as lower_bound,
        trailing_mean + half_band as upper_bound,
        case when events > trailing_mean then 'spike' else 'drop' end as direction
    from banded
    where abs(events - trailing_mean) > half_band
)

select * from anomalies
