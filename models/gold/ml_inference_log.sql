{#
    Every prediction the model made, online and in batch, in one shape: the endpoint's scored
    records (silver.inference_requests) and batch scoring's (gold.pred_late_delivery, and the
    challenger's shadow scores, gold.pred_late_delivery_challenger), each line's first score by
    each model version and variant (a run re-scores the open lines with the same
    version: one row is kept, the first). `predicted_at` is the line's prediction time (its
    order date, from the feature table) when the record names its line, as lookups do.
    Batch scoring's past rows exist nowhere else (gold.pred_late_delivery holds the last run's
    scores), so `--full-refresh` leaves this table as it is (`full_refresh=false`).
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        enabled=target.type == 'duckdb',
        tags=['ml', 'ml_scoring'],
        full_refresh=false,
    )
}}

{%- set categorical = var('ml_features')['categorical'] %}
{%- set numeric = var('ml_features')['numeric'] %}

with

requests as (
    select * from {{ ref('inference_requests') }}
    where
        status = 200
        and _applied_through > {{ silver_watermark(where="scored_by = 'endpoint'") }}
),

batch_scores as (
    -- the champion's, and the challenger's beside it (shadow)
    select
        *,
        'champion' as variant
    from {{ ref('pred_late_delivery') }}
    union all
    select
        *,
        'challenger' as variant
    from {{ ref('pred_late_delivery_challenger') }}
),

features as (
    select * from {{ ref('ml_late_delivery_features') }}
),

online as (
    select
        requests.request_id,
        requests.record_index,
        requests.requested_at,
        requests.source as scored_by,
        requests.model_name,
        requests.model_version,
        requests.variant,
        requests.order_id,
        requests.line_number,
        features.predicted_at,
        {% for feature in categorical %}
            requests.features ->> '{{ feature }}' as {{ feature }},
        {% endfor %}
        {% for feature in numeric %}
            try_cast(requests.features ->> '{{ feature }}' as double) as {{ feature }},
        {% endfor %}
        requests.prediction,
        requests.latency_ms,
        requests._applied_through
    from requests
    left join features
        on
            requests.order_id = features.order_id
            and requests.line_number = features.line_number
),

batch as (
    select
        'batch-{{ invocation_id }}' as request_id,
        cast(
            row_number() over (
                order by batch_scores.variant, batch_scores.order_id, batch_scores.line_number
            ) - 1 as integer
        ) as record_index,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as requested_at,
        'batch' as scored_by,
        batch_scores.model_name,
        batch_scores.model_version,
        batch_scores.variant,
        batch_scores.order_id,
        batch_scores.line_number,
        batch_scores.predicted_at,
        {% for feature in categorical %}
            features.{{ feature }},
        {% endfor %}
        {% for feature in numeric %}
            cast(features.{{ feature }} as double) as {{ feature }},
        {% endfor %}
        batch_scores.late_probability as prediction,
        cast(null as double) as latency_ms,
        cast(null as timestamp) as _applied_through
    from batch_scores
    inner join features
        on
            batch_scores.order_id = features.order_id
            and batch_scores.line_number = features.line_number
    where batch_scores.model_version is not null
),

{% if is_incremental() %}
    new_batch as (
        -- a line a version has scored before keeps its first score
        select * from batch
        where not exists (
            select 1 from {{ this }} as seen
            where
                seen.scored_by = 'batch'
                and seen.order_id = batch.order_id
                and seen.line_number = batch.line_number
                and seen.model_name = batch.model_name
                and seen.model_version = batch.model_version
                and seen.variant = batch.variant
        )
    ),
{% else %}
    new_batch as (
        select * from batch
    ),
{% endif %}

predictions as (
    select * from online
    union all
    select * from new_batch
)

select * from predictions
