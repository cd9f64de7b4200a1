{{ config(enabled=target.type == 'duckdb', tags=['ml', 'ml_scoring']) }}

{#
    Calibration by decile: each version's and variant's labelled predictions in ten groups of
    equal size by predicted probability (1 the lowest), with the mean prediction beside the
    share that arrived late. A calibrated model has them close in every decile.
#}

with

outcomes as (
    select * from {{ ref('ml_prediction_outcomes') }}
    where is_late_delivery is not null
),

deciles as (
    select
        *,
        ntile(10) over (
            partition by model_name, model_version, variant order by prediction, order_id, line_number
        ) as decile
    from outcomes
)

select
    model_name,
    model_version,
    variant,
    decile,
    count(*) as labelled,
    avg(prediction) as mean_prediction,
    avg(cast(is_late_delivery as double)) as observed_late_rate,
    avg(cast(is_late_delivery as double)) - avg(prediction) as calibration_error
from deciles
group by model_name, model_version, variant, decile
