{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
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
        * exclude (_rescued_data, _undecoded_fields, _run_id) rename (
            p_partkey as part_id,
            p_name as part_name,
            p_mfgr as manufacturer,
            p_brand as brand,
            p_type as part_type,
            p_size as size,
            p_container as container,
            p_retailprice as retail_price,
            p_comment as comment
        )
    from extracts
),

applied as (
    {{ apply_snapshots('renamed', ['part_id']) }}
)

select * from applied
