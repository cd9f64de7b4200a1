{#
    The serving endpoint's inference table: every request it logged, one row per scored record
    (or one per refused request, `record_index` null), typed, each once. The endpoint writes
    a request's lines once, but a landing file copied twice (a person, a sync tool) would bring
    them again: the first copy of a (request_id, record_index) wins, against what is already
    here too.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        enabled=target.type == 'duckdb',
    )
}}

with

raw_lines as (
    select * from {{ ref('inference_log_raw') }}
    where _ingested_at > {{ silver_watermark() }}
),

typed as (
    select
        request_id,
        record_index,
        requested_at,
        source,
        route,
        status,
        error,
        model_name,
        model_version,
        variant,
        order_id,
        line_number,
        try_cast(features as json) as features,
        prediction,
        latency_ms,
        _source_file,
        _source_line,
        max(_ingested_at) over () as _applied_through
    from raw_lines
),

first_copy as (
    select * from typed
    qualify row_number() over (
        partition by request_id, record_index order by _source_file, _source_line
    ) = 1
)

select * from first_copy
{% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as seen
        where
            seen.request_id = first_copy.request_id
            and seen.record_index is not distinct from first_copy.record_index
    )
{% endif %}
