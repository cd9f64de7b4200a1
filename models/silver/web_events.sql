{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
    )
}}

with

checked as {{ materialization_hint('not materialized') }} (
    select * from {{ ref('web_events_checked') }}
    where _applied_through > {{ silver_watermark() }}
),

actioned as {{ materialization_hint('not materialized') }} (
    {{ expectation_actions('checked', 'web_events') }}
),

applied as (
    select
        {{ star_except([
            '_failed_expectations', '_rows_checked', '_dropped_by', '_failed_by', '_event_time_watermark'
        ]) }}
    from actioned
    where
        {{ array_size('_dropped_by') }} = 0
        and {{ expectations_fail_guard('actioned', 'web_events') }}
)

select * from applied
