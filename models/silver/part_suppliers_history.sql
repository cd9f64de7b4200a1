{{
    config(
        materialized='incremental',
        incremental_strategy='replace_keys',
        unique_key=['part_id', 'supplier_id'],
        on_schema_change='append_new_columns',
    )
}}

with

extracts as (
    select * from {{ ref('full_partsupp') }}
),

renamed as (
    select
        {{ star_rename({
            'ps_partkey': 'part_id',
            'ps_suppkey': 'supplier_id',
            'ps_availqty': 'available_quantity',
            'ps_supplycost': 'supply_cost',
            'ps_comment': 'comment',
        }, except=['_rescued_data', '_undecoded_fields', '_run_id']) }}
    from extracts
),

applied as (
    {{ apply_snapshots('renamed', ['part_id', 'supplier_id']) }}
)

select * from applied
