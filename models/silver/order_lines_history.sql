{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key=['order_id', 'line_number'],
        on_schema_change='append_new_columns',
    )
}}

with

change_log as {{ materialization_hint('not materialized') }} (
    {{ change_log(ref('full_lineitem'), ref('cdc_lineitem')) }}
),

renamed as {{ materialization_hint('not materialized') }} (
    select
        {{ star_rename({
            'l_orderkey': 'order_id',
            'l_linenumber': 'line_number',
            'l_partkey': 'part_id',
            'l_suppkey': 'supplier_id',
            'l_quantity': 'quantity',
            'l_extendedprice': 'extended_price',
            'l_discount': 'discount',
            'l_tax': 'tax',
            'l_returnflag': 'return_flag',
            'l_linestatus': 'line_status',
            'l_shipdate': 'ship_date',
            'l_commitdate': 'commit_date',
            'l_receiptdate': 'receipt_date',
            'l_shipinstruct': 'ship_instructions',
            'l_shipmode': 'ship_mode',
            'l_comment': 'comment',
        }) }}
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['order_id', 'line_number']) }}
)

select * from applied
