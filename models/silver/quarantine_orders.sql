{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('orders_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'orders') }}
)

select * from quarantined
