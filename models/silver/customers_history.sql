{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key='customer_id',
        on_schema_change='append_new_columns',
    )
}}

with

extracts as not materialized (
    select * from {{ ref('full_customer') }}
),

changes as not materialized (
    select * from {{ ref('cdc_customer') }}
),

change_log as not materialized (
    {{ change_log('extracts', 'changes') }}
),

renamed as not materialized (
    select
        * rename (
            c_custkey as customer_id,
            c_name as customer_name,
            c_address as address,
            c_nationkey as nation_id,
            c_phone as phone,
            c_acctbal as account_balance,
            c_mktsegment as market_segment,
            c_comment as comment
        )
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['customer_id']) }}
)

select * from applied
