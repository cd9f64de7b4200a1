{#
    The rows of `relation` (checked by `expectations_check`) with `_dropped_by` and `_failed_by`:
    the expectations in `_failed_expectations` whose action in this run is drop, and fail (the
    YAML's action, or this run's `expectation_actions` override). Expressions are evaluated once,
    when rows are checked; each reader applies the actions of its own run, so an override holds
    for the run that sets it and no longer. Unchecked rows get null lists.
#}
{% macro expectation_actions(relation, model_name) %}
    {%- set names = {'drop': [], 'fail': []} -%}
    {%- for e in expectations_of(model_name) if e.action in names -%}
        {%- do names[e.action].append(e.name) -%}
    {%- endfor -%}
    select
        *,
        filter(_failed_expectations, name -> array_contains({{ sql_string_list(names['drop']) }}, name))
            as _dropped_by,
        filter(_failed_expectations, name -> array_contains({{ sql_string_list(names['fail']) }}, name))
            as _failed_by
    from {{ relation }}
{% endmacro %}
