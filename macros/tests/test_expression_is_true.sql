{#
    Generic test: `expression` (a boolean SQL expression over the model's columns) holds for
    every row, optionally only where `where` holds. Replaces dbt_expectations /
    dbt_utils.expression_is_true, which are on dbt Hub, out of reach here.
#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
