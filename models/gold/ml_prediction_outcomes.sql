{{ config(enabled=target.type == 'duckdb', tags=['ml', 'ml_scoring']) }}

{#
    One row per model version, variant and order line it predicted: its first prediction of the
    line and the line's label once decided (null before). The rows the monitoring measures.
#}

with

predictions as (
    select * from {{ ref('ml_inference_log') }}
    where predicted_at is not null
),

features as (
    select * from {{ ref('ml_late_delivery_features') }}
),

first_predictions as (
    select * from predictions
    qualify row_number() over (
        partition by model_name, model_version, variant, order_id, line_number
        order by requested_at, request_id, record_index
    ) = 1
),

outcomes as (
    select
        first_predictions.model_name,
        first_predictions.model_version,
        first_predictions.variant,
        first_predictions.order_id,
        first_predictions.line_number,
        first_predictions.predicted_at as prediction_date,
        first_predictions.scored_by,
        first_predictions.requested_at,
        first_predictions.prediction,
        features.received_date,
        -- the day the label was decided: received, or the day after the commit date passed
        case
            when features.received_date is not null then features.received_date
            when features.is_late_delivery then cast(features.commit_date + 1 as date)
        end as label_date,
        features.is_late_delivery
    from first_predictions
    left join features
        on
            first_predictions.order_id = features.order_id
            and first_predictions.line_number = features.line_number
)

select * from outcomes
