{{ config(materialized='ephemeral') }}

with

history as (
    select * from {{ ref('parts_history') }}
),

current_versions as (
    select * from history
    where is_current and not is_deleted
),

checked as (
    {{ expectations_check('current_versions', 'parts') }}
)

select * from checked
