{{ config(materialized='incremental', incremental_strategy='append') }}

with

checked as (
    select * from {{ ref('part_suppliers_checked') }}
),

quarantined as (
    {{ quarantine_rows('checked', 'part_suppliers') }}
)

select * from quarantined
