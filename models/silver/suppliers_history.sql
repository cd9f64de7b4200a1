{{
    config(
        materialized='incremental',
        incremental_strategy='replace_keys',
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
        {{ star_rename({
            's_suppkey': 'supplier_id',
            's_name': 'supplier_name',
            's_address': 'address',
            's_nationkey': 'nation_id',
            's_phone': 'phone',
            's_acctbal': 'account_balance',
            's_comment': 'comment',
        }, except=['_rescued_data', '_undecoded_fields', '_run_id']) }}
    from extracts
),

applied as (
    {{ apply_snapshots('renamed', ['supplier_id']) }}
)

select * from applied
