{#
    The clickstream deduplicated by event_id, with the expectations of `web_events` evaluated.
    Late data is handled as Structured Streaming's watermark does: an event whose time is more
    than `web_events_lookback_hours` before the latest event time already applied is too late
    (`_event_time_watermark`, used by the `within_lookback_window` expectation), and duplicates
    are looked for only within that window, so the state kept for deduplication is bounded.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        post_hook="{{ record_expectation_results('web_events') }}",
    )
}}

{%- set lookback_hours = var('web_events_lookback_hours', 72) | int %}

-- the data-quality log its post-hook appends to
-- depends_on: {{ ref('dq_expectation_results') }}

with

raw_events as (
    select * from {{ ref('web_events_raw') }}
    where _ingested_at > {{ silver_watermark() }}
),

typed as (
    select
        {{ star_rename(
            {'customer_key': 'customer_id', 'part_key': 'part_id', 'ts': 'event_at'},
            except=[
                '_raw', '_rescued_data', '_undecoded_fields', '_run_id',
                '_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp', '_kafka_key',
            ],
        ) }},
        max(_ingested_at) over () as _applied_through
    from raw_events
),

first_delivery as (
    -- at-least-once delivery: the first copy of an event wins
    select * from typed
    qualify row_number() over (
        partition by event_id order by _ingested_at, _source_file, _source_line
    ) = 1
),

{% if is_incremental() %}
    state as (
        select max(event_at) - interval {{ lookback_hours }} hour as event_time_watermark
        from {{ this }}
    ),

    new_events as (
        select
            first_delivery.*,
            state.event_time_watermark as _event_time_watermark
        from first_delivery
        cross join state
        where first_delivery.event_id not in (
            select seen.event_id from {{ this }} as seen
            where seen.event_at >= (select s.event_time_watermark from state as s)
        )
    ),
{% else %}
    new_events as (
        select
            *,
            cast(null as timestamp) as _event_time_watermark
        from first_delivery
    ),
{% endif %}

checked as (
    {{ expectations_check('new_events', 'web_events') }}
)

select * from checked
