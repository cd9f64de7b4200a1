{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('customers_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'customers') }}
)

select * from quarantined
