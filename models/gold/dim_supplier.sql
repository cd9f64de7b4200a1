with

history as (
    select * from {{ ref('suppliers_history') }}
),

geography as (
    select * from {{ ref('dim_geography') }}
),

versions as (
    -- a deleted key has no version during its deletion
    select * from history
    where not is_deleted
),

dimension as (
    select
        -- keys
        {{ version_key('supplier', 'versions.supplier_id', 'versions.valid_from') }}
            as supplier_key,
        versions.supplier_id,
        -- attributes
        versions.supplier_name,
        versions.address,
        versions.phone,
        versions.comment,
        versions.account_balance,
        versions.nation_id,
        geography.nation_name,
        geography.region_name,
        -- validity
        versions.valid_from,
        versions.valid_to,
        {{ first_version_from('versions.supplier_id', 'versions.valid_from') }} as effective_from,
        versions.valid_to is null as is_current
    from versions
    left join geography on versions.nation_id = geography.nation_id
)

select * from dimension
