with

history as (
    select * from {{ ref('parts_history') }}
),

versions as (
    -- a deleted key has no version during its deletion
    select * from history
    where not is_deleted
),

dimension as (
    select
        -- keys
        {{ version_key('part', 'part_id', 'valid_from') }}
            as part_key,
        part_id,
        -- attributes
        part_name,
        manufacturer,
        brand,
        part_type,
        size,
        container,
        retail_price,
        -- validity
        valid_from,
        valid_to,
        {{ first_version_from('part_id', 'valid_from') }} as effective_from,
        valid_to is null as is_current
    from versions
)

select * from dimension
