{{
    config(
        materialized='incremental',
        incremental_strategy='replace_keys',
        unique_key='part_id',
        on_schema_change='append_new_columns',
    )
}}

with

extracts as (
    select * from {{ ref('full_part') }}
),

renamed as (
    select
        {{ star_rename({
            'p_partkey': 'part_id',
            'p_name': 'part_name',
            'p_mfgr': 'manufacturer',
            'p_brand': 'brand',
            'p_type': 'part_type',
            'p_size': 'size',
            'p_container': 'container',
            'p_retailprice': 'retail_price',
            'p_comment': 'comment',
        }, except=['_rescued_data', '_undecoded_fields', '_run_id']) }}
    from extracts
),

applied as (
    {{ apply_snapshots('renamed', ['part_id']) }}
)

select * from applied
