{{ config(enabled=target.type == 'duckdb', tags=['ml', 'ml_scoring']) }}

{#
    Drift of each feature and of the prediction against the model version's training data, as
    the population stability index: PSI = sum over bins of (a - e) * ln(a / e), `a` the share
    of the version's logged predictions in a bin, `e` the share of its training rows (shares
    below 0.0001 count as 0.0001, so an empty bin is a large term, not an infinite one). Bins:
    a category is a bin (a missing value one more); a number falls in one of the training
    deciles (bin = how many decile edges are below it; missing: its own bin); the prediction in
    the deciles of the version's predictions on its training rows (logged by `lakehouse train`
    with the model). Per version, variant and prediction date (the line's order date), and over
    all its predictions (`prediction_date` null). Below 0.1 is usually read as no shift, above
    0.25 as a major one. The population is the lines the version was asked about, each counted
    once (its first prediction, as in ml_prediction_outcomes), so a line looked up again and
    again weighs as one line; a record without a key counts as itself.
#}

with

predictions as (
    select * from {{ ref('ml_inference_log') }}
    qualify
        order_id is null
        or row_number() over (
            partition by model_name, model_version, variant, order_id, line_number
            order by requested_at, request_id, record_index
        ) = 1
),

versions as (
    select * from {{ ref('ml_model_versions') }}
    where train_commits_through is not null
),

features as (
    select * from {{ ref('ml_late_delivery_features') }}
),

training_rows as (
    -- what each version was trained on: the labelled lines committed by its training cutoff
    select
        versions.model_name,
        versions.model_version,
        features.*
    from versions
    inner join features
        on
            versions.train_commits_through >= features.commit_date
            and features.is_label_final
            and features.is_late_delivery is not null
),

reference_values as (
    {{ ml_feature_values('training_rows', 'model_name, model_version') }}
),

logged as (
    select * from predictions
    union all
    select * replace (cast(null as date) as predicted_at) from predictions
),

logged_values as (
    {{ ml_feature_values('logged', 'model_name, model_version, variant, predicted_at as prediction_date') }}
    union all
    select
        model_name,
        model_version,
        variant,
        predicted_at as prediction_date,
        'prediction' as feature,
        prediction as number_value,
        cast(null as varchar) as category_value
    from logged
),

edges as (
    select
        model_name,
        model_version,
        feature,
        list_sort(list_distinct(
            quantile_disc(number_value, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
        )) as edges
    from reference_values
    where feature in ({{ "'" ~ var('ml_features')['numeric'] | join("', '") ~ "'" }})
    group by model_name, model_version, feature
    union all
    select
        model_name,
        model_version,
        'prediction' as feature,
        cast(json_extract(prediction_reference, '$.edges') as double[]) as edges
    from versions
    where prediction_reference is not null
),

binned as (
    -- training's and the logs' values in the training's bins
    select
        all_values.*,
        case
            when all_values.category_value is not null then all_values.category_value
            when all_values.number_value is not null
                then cast(len(list_filter(edges.edges, e -> e < all_values.number_value)) as varchar)
            else '(missing)'
        end as bin
    from (
        select
            'training' as side,
            model_name,
            model_version,
            cast(null as varchar) as variant,
            cast(null as date) as prediction_date,
            feature,
            number_value,
            category_value
        from reference_values
        union all
        select
            'logged' as side,
            model_name,
            model_version,
            variant,
            prediction_date,
            feature,
            number_value,
            category_value
        from logged_values
    ) as all_values
    left join edges
        on
            all_values.model_name = edges.model_name
            and all_values.model_version = edges.model_version
            and all_values.feature = edges.feature
),

reference_bins as (
    select
        model_name,
        model_version,
        feature,
        bin,
        count(*) / sum(count(*)) over (partition by model_name, model_version, feature)
            as expected_share
    from binned
    where side = 'training'
    group by model_name, model_version, feature, bin
    union all
    select
        versions.model_name,
        versions.model_version,
        'prediction' as feature,
        cast(reference_share.bin_number - 1 as varchar) as bin,
        reference_share.share_value as expected_share
    from versions
    cross join
        unnest(cast(json_extract(versions.prediction_reference, '$.shares') as double[]))
        with ordinality as reference_share (share_value, bin_number)
    where versions.prediction_reference is not null
),

logged_bins as (
    select
        model_name,
        model_version,
        variant,
        prediction_date,
        feature,
        bin,
        count(*) as rows_in_bin,
        count(*) / sum(count(*)) over (
            partition by model_name, model_version, variant, prediction_date, feature
        ) as actual_share
    from binned
    where side = 'logged'
    group by model_name, model_version, variant, prediction_date, feature, bin
),

drift_groups as (
    select distinct
        model_name,
        model_version,
        variant,
        prediction_date,
        feature
    from logged_bins
),

compared as (
    -- every bin of either side: the training's, in each group, and any the logs add
    select
        drift_groups.*,
        reference_bins.bin,
        reference_bins.expected_share,
        coalesce(logged_bins.actual_share, 0) as actual_share,
        coalesce(logged_bins.rows_in_bin, 0) as rows_in_bin
    from drift_groups
    inner join reference_bins
        on
            drift_groups.model_name = reference_bins.model_name
            and drift_groups.model_version = reference_bins.model_version
            and drift_groups.feature = reference_bins.feature
    left join logged_bins
        on
            drift_groups.model_name = logged_bins.model_name
            and drift_groups.model_version = logged_bins.model_version
            and drift_groups.variant = logged_bins.variant
            and drift_groups.prediction_date is not distinct from logged_bins.prediction_date
            and drift_groups.feature = logged_bins.feature
            and reference_bins.bin = logged_bins.bin
    union all
    select
        logged_bins.model_name,
        logged_bins.model_version,
        logged_bins.variant,
        logged_bins.prediction_date,
        logged_bins.feature,
        logged_bins.bin,
        0 as expected_share,
        logged_bins.actual_share,
        logged_bins.rows_in_bin
    from logged_bins
    semi join reference_bins as compared_feature
        on
            logged_bins.model_name = compared_feature.model_name
            and logged_bins.model_version = compared_feature.model_version
            and logged_bins.feature = compared_feature.feature
    anti join reference_bins
        on
            logged_bins.model_name = reference_bins.model_name
            and logged_bins.model_version = reference_bins.model_version
            and logged_bins.feature = reference_bins.feature
            and logged_bins.bin = reference_bins.bin
)

select
    model_name,
    model_version,
    variant,
    prediction_date,
    prediction_date is null as is_overall,
    feature,
    sum(rows_in_bin) as predictions,
    count(*) as bins,
    sum(
        (greatest(actual_share, 0.0001) - greatest(expected_share, 0.0001))
        * ln(greatest(actual_share, 0.0001) / greatest(expected_share, 0.0001))
    ) as psi
from compared
group by model_name, model_version, variant, prediction_date, feature
