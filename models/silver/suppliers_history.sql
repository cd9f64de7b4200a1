{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='supplier_id',
        on_schema_change='append_new_columns',
    )
}}

with

extracts as (
    select * from {{ ref('full_supplier') }}
),

renamed as (
    select
        * exclude (_rescued_data, _undecoded_fields, _run_id) rename (
            s_suppkey as supplier_id,
            s_name as supplier_name,
            s_address as address,
            s_nationkey as nation_id,
            s_phone as phone,
            s_acctbal as account_balance,
            s_comment as comment
        )
    from extracts
),

applied as (
    {{ apply_snapshots('renamed', ['supplier_id']) }}
)

select * from applied
