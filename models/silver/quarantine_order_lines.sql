{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('order_lines_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'order_lines') }}
)

select * from quarantined
