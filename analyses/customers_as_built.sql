-- Time travel by build time: silver.customers as the snapshot saw it at a build. Replace the
-- timestamp with one between two of your builds (dbt_valid_from values of the snapshot).
-- Not on the local spark target, which has no snapshots (see dbt_project.yml).
{{ config(enabled=target.type != 'spark') }}
select *
from {{ as_of(ref('customers_snapshot'), "now()::timestamp") }} as customers
