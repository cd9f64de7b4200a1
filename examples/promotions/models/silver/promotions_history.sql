{{
    config(
        materialized='incremental',
        incremental_strategy='replace_versions',
        unique_key='promotion_id',
        on_schema_change='append_new_columns',
    )
}}

with

change_log as {{ materialization_hint('not materialized') }} (
    {{ change_log(none, bronze_source('cdc_promotions')) }}
),

renamed as {{ materialization_hint('not materialized') }} (
    select
        {{ star_rename({
            'promo_id': 'promotion_id',
            'promo_name': 'promotion_name',
        }) }}
    from change_log
),

applied as (
    {{ apply_changes('renamed', ['promotion_id']) }}
)

select * from applied
