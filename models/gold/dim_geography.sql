with

nations as (
    select * from {{ ref('nations') }}
),

regions as (
    select * from {{ ref('regions') }}
),

geography as (
    select
        nations.nation_id,
        nations.nation_name,
        regions.region_id,
        regions.region_name
    from nations
    inner join regions on nations.region_id = regions.region_id
)

select * from geography
