{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('web_events_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'web_events') }}
)

select * from quarantined
