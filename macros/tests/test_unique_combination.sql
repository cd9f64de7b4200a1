{#
    Generic test: the combination of `columns` is unique (a compound primary key). dbt_utils'
    `unique_combination_of_columns` is on dbt Hub, which is out of reach here.
#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
