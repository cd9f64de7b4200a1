{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key=['order_id', 'line_number'],
        on_schema_change='append_new_columns',
    )
}}

with

extracts as not materialized (
    select * from {{ ref('full_lineitem') }}
),

changes as not materialized (
    select * from {{ ref('cdc_lineitem') }}
),

change_log as not materialized (
    {{ change_log('extracts', 'changes') }}
),

renamed as not materialized (
    select
        * rename (
            l_orderkey as order_id,
            l_linenumber as line_number,
            l_partkey as part_id,
            l_suppkey as supplier_id,
            l_quantity as quantity,
            l_extendedprice as extended_price,
            l_discount as discount,
            l_tax as tax,
            l_returnflag as return_flag,
            l_linestatus as line_status,
            l_shipdate as ship_date,
            l_commitdate as commit_date,
            l_receiptdate as receipt_date,
            l_shipinstruct as ship_instructions,
            l_shipmode as ship_mode,
            l_comment as comment
        )
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['order_id', 'line_number']) }}
)

select * from applied
