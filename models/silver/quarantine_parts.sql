{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('parts_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'parts') }}
)

select * from quarantined
