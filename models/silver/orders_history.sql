{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key='order_id',
        on_schema_change='append_new_columns',
    )
}}

with

extracts as not materialized (
    select * from {{ ref('full_orders') }}
),

changes as not materialized (
    select * from {{ ref('cdc_orders') }}
),

change_log as not materialized (
    {{ change_log('extracts', 'changes') }}
),

renamed as not materialized (
    select
        * rename (
            o_orderkey as order_id,
            o_custkey as customer_id,
            o_orderstatus as order_status,
            o_totalprice as total_price,
            o_orderdate as order_date,
            o_orderpriority as order_priority,
            o_clerk as clerk,
            o_shippriority as ship_priority,
            o_comment as comment
        )
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['order_id']) }}
)

select * from applied
