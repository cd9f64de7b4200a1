{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key='order_id',
        on_schema_change='append_new_columns',
    )
}}

with

change_log as {{ materialization_hint('not materialized') }} (
    {{ change_log(ref('full_orders'), ref('cdc_orders')) }}
),

renamed as {{ materialization_hint('not materialized') }} (
    select
        {{ star_rename({
            'o_orderkey': 'order_id',
            'o_custkey': 'customer_id',
            'o_orderstatus': 'order_status',
            'o_totalprice': 'total_price',
            'o_orderdate': 'order_date',
            'o_orderpriority': 'order_priority',
            'o_clerk': 'clerk',
            'o_shippriority': 'ship_priority',
            'o_comment': 'comment',
        }) }}
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['order_id']) }}
)

select * from applied
