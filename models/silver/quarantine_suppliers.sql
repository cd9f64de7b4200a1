{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('suppliers_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'suppliers') }}
)

select * from quarantined
