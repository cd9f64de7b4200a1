{#
    A condition on the rows of `applied` (as in `expectations_failed`): true when no `drop`
    expectation keeps the row out, i.e. no row of `failed` (from `expectations_failed`) for the
    same keys has a non-empty `_dropped_by`.
#}
{% macro expectations_not_dropped(applied, failed) %}
    {%- set keys = config.get('unique_key') -%}
    {%- set keys = [keys] if keys is string else keys -%}
    not exists (
        select 1
        from {{ failed }} as dropped
        where
            len(dropped._dropped_by) > 0
            {%- for key in keys %}
                and dropped.{{ key }} = {{ applied }}.{{ key }}
            {%- endfor %}
    )
{% endmacro %}
