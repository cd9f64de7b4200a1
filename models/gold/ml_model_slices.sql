{{ config(enabled=target.type == 'duckdb', tags=['ml', 'ml_scoring']) }}

{#
    Each version's and variant's labelled lines by slice: every value of every categorical
    feature, over all its labelled lines and over those whose labels were decided in the last
    `ml_monitoring_recent_days` days (as of the data's date). A drift that hits one slice (one
    ship mode slower) shows here as a gap between the share late and the mean prediction long
    before it moves the overall figures.
#}

with

outcomes as (
    select * from {{ ref('ml_prediction_outcomes') }}
    where is_late_delivery is not null
),

features as (
    select * from {{ ref('ml_late_delivery_features') }}
),

as_of as (
    select max(as_of_date) as as_of_date from features
),

labelled as (
    select
        outcomes.model_name,
        outcomes.model_version,
        outcomes.variant,
        outcomes.prediction,
        outcomes.is_late_delivery,
        outcomes.label_date > as_of.as_of_date - {{ var('ml_monitoring_recent_days') }}
            as is_recent{% for feature in var('ml_features')['categorical'] %},
        features.{{ feature }}{% endfor %}
    from outcomes
    inner join features
        on
            outcomes.order_id = features.order_id
            and outcomes.line_number = features.line_number
    cross join as_of
),

sliced as (
    {% for feature in var('ml_features')['categorical'] -%}
        select
            model_name,
            model_version,
            variant,
            is_recent,
            '{{ feature }}' as slice_feature,
            coalesce({{ feature }}, '(missing)') as slice_value,
            prediction,
            is_late_delivery
        from labelled
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

windows as (
    select
        *,
        'all' as label_window
    from sliced
    union all
    select
        *,
        'recent' as label_window
    from sliced
    where is_recent
)

select
    model_name,
    model_version,
    variant,
    label_window,
    slice_feature,
    slice_value,
    count(*) as labelled,
    count(*) filter (where is_late_delivery) as late,
    avg(prediction) as mean_prediction,
    avg(cast(is_late_delivery as double)) as observed_late_rate,
    avg(cast(is_late_delivery as double)) - avg(prediction) as calibration_error,
    -- the gap in standard errors: late lines counted against the number the predictions
    -- expect, over the spread they expect (each line a Bernoulli trial with its prediction)
    (count(*) filter (where is_late_delivery) - sum(prediction))
    / nullif(sqrt(sum(prediction * (1 - prediction))), 0) as calibration_z,
    -avg(
        case
            when is_late_delivery then ln(greatest(least(prediction, 1 - 1e-15), 1e-15))
            else ln(1 - greatest(least(prediction, 1 - 1e-15), 1e-15))
        end
    ) as log_loss
from windows
group by model_name, model_version, variant, label_window, slice_feature, slice_value
