{{ config(enabled=target.type == 'duckdb', tags=['ml', 'ml_scoring']) }}

{#
    How each model version did on the order lines it predicted, as their labels arrive: per
    version, variant and prediction date (the line's order date), and over all its predictions
    (`prediction_date` null), from gold.ml_prediction_outcomes (a line once per version and
    variant, its first prediction). AUC is the Mann-Whitney statistic (ties count a half), log
    loss clips probabilities to [1e-15, 1 - 1e-15] as scikit-learn does.
#}

with

outcomes as (
    select * from {{ ref('ml_prediction_outcomes') }}
),

by_day_and_overall as (
    select
        model_name,
        model_version,
        variant,
        prediction_date,
        prediction,
        is_late_delivery
    from outcomes
    union all
    select
        model_name,
        model_version,
        variant,
        cast(null as date) as prediction_date,
        prediction,
        is_late_delivery
    from outcomes
),

ranked as (
    -- the labelled predictions' average ranks within their group (ties share their mean rank)
    select
        *,
        rank() over same_group
        + (count(*) over (
            partition by
                model_name, model_version, variant, prediction_date, is_late_delivery is null,
                prediction
        ) - 1) / 2.0 as average_rank,
        greatest(least(prediction, 1 - 1e-15), 1e-15) as clipped
    from by_day_and_overall
    window same_group as (
        partition by model_name, model_version, variant, prediction_date, is_late_delivery is null
        order by prediction
    )
),

sums as (
    select
        model_name,
        model_version,
        variant,
        prediction_date,
        count(*) as predictions,
        count(is_late_delivery) as labelled,
        count(*) filter (where is_late_delivery) as late,
        avg(prediction) filter (where is_late_delivery is not null) as mean_prediction,
        avg(cast(is_late_delivery as double)) as base_rate,
        -avg(
            case when is_late_delivery then ln(clipped) when not is_late_delivery then ln(1 - clipped) end
        ) as log_loss,
        avg(power(prediction - cast(is_late_delivery as double), 2)) as brier_score,
        sum(average_rank) filter (where is_late_delivery) as late_rank_sum
    from ranked
    group by model_name, model_version, variant, prediction_date
)

select
    model_name,
    model_version,
    variant,
    prediction_date,
    prediction_date is null as is_overall,
    predictions,
    labelled,
    late,
    base_rate,
    mean_prediction,
    log_loss,
    brier_score,
    case
        when late > 0 and late < labelled
            then (late_rank_sum - late * (late + 1) / 2.0) / (late * (labelled - late))
    end as auc
from sums
