{#
    The late-delivery model's features of `relation` in long form, for comparing their
    distributions (gold.ml_feature_drift): one row per row of `relation` and feature (the
    `ml_features` variable), with the select items `keys`, the feature's name, and its value
    as `number_value` (numeric features) or `category_value` (categorical ones).
#}
{% macro ml_feature_values(relation, keys) %}
    {%- set features = var('ml_features') -%}
    {%- for feature in features['numeric'] %}
        select
            {{ keys }},
            '{{ feature }}' as feature,
            cast({{ feature }} as double) as number_value,
            cast(null as varchar) as category_value
        from {{ relation }}
        union all
    {%- endfor %}
    {%- for feature in features['categorical'] %}
        select
            {{ keys }},
            '{{ feature }}' as feature,
            cast(null as double) as number_value,
            {{ feature }} as category_value
        from {{ relation }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endmacro %}
