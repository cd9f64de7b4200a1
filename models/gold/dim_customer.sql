with

history as (
    select * from {{ ref('customers_history') }}
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
        {{ version_key('customer', 'versions.customer_id', 'versions.valid_from') }}
            as customer_key,
        versions.customer_id,
        -- attributes
        versions.customer_name,
        versions.address,
        versions.phone,
        versions.comment,
        versions.account_balance,
        versions.market_segment,
        versions.nation_id,
        geography.nation_name,
        geography.region_name,
        -- validity
        versions.valid_from,
        versions.valid_to,
        {{ first_version_from('versions.customer_id', 'versions.valid_from') }} as effective_from,
        versions.valid_to is null as is_current
    from versions
    left join geography on versions.nation_id = geography.nation_id
)

select * from dimension
