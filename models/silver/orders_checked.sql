{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
    )
}}

with

history as {{ materialization_hint('not materialized') }} (
    select * from {{ ref('orders_history') }}
),

current_versions as {{ batch_materialization() }} (
    -- the batch: the current version of each key the history rewrote since the last run
    select * from history
    where is_current and _applied_through > {{ silver_watermark() }}
),

checked as (
    {{ expectations_check(
        'current_versions', 'orders', unless='is_deleted', batch='current_versions'
    ) }}
)

select * from checked
