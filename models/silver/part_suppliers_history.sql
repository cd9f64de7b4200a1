{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
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
        * exclude (_rescued_data, _undecoded_fields, _run_id) rename (
            ps_partkey as part_id,
            ps_suppkey as supplier_id,
            ps_availqty as available_quantity,
            ps_supplycost as supply_cost,
            ps_comment as comment
        )
    from extracts
),

applied as (
    {{ apply_snapshots('renamed', ['part_id', 'supplier_id']) }}
)

select * from applied
