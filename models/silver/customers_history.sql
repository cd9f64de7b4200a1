{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key='customer_id',
        on_schema_change='append_new_columns',
    )
}}

with

change_log as {{ materialization_hint('not materialized') }} (
    {{ change_log(ref('full_customer'), ref('cdc_customer')) }}
),

renamed as {{ materialization_hint('not materialized') }} (
    select
        {{ star_rename({
            'c_custkey': 'customer_id',
            'c_name': 'customer_name',
            'c_address': 'address',
            'c_nationkey': 'nation_id',
            'c_phone': 'phone',
            'c_acctbal': 'account_balance',
            'c_mktsegment': 'market_segment',
            'c_comment': 'comment',
        }) }}
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['customer_id']) }}
)

select * from applied
