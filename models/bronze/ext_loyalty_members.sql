{#
    An incremental read of a table in an attached database, as a Databricks JDBC read with a
    predicate on a watermark column: each run appends the rows whose `updated_at` is newer than
    the newest already loaded. The profile attaches the database (catalog `crm`) when its file
    exists; without it the table exists, empty, like a landing feed without files.
#}
{% set loyalty_members = source('crm', 'loyalty_members') %}
{% set is_attached = execute and load_relation(loyalty_members) is not none %}

with

members as (
    {% if is_attached %}
        select * from {{ loyalty_members }}
    {% else %}
        select
            null::bigint as customer_key,
            null::string as tier,
            null::bigint as points,
            null::string as enrolled_on,
            null::string as updated_at
        where false
    {% endif %}
),

changed as (
    select * from members
    {% if is_incremental() %}
        where
            updated_at::timestamp > (
                select coalesce(max(loaded.updated_at), '-infinity'::timestamp)
                from {{ this }} as loaded
            )
    {% endif %}
)

select
    -- source columns, typed
    customer_key::bigint as customer_key,
    tier,
    points::bigint as points,
    enrolled_on::date as enrolled_on,
    updated_at::timestamp as updated_at,
    -- technical
    'crm.loyalty_members' as _source_file,
    row_number() over (order by customer_key) as _source_line,
    now()::timestamp as _ingested_at,
    '{{ invocation_id }}' as _run_id
from changed
