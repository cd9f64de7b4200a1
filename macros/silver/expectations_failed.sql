{#
    The checks in `checked` (a model checked by `expectations_check` with a batch) of the
    versions in `applied` (the current versions a current-state model applies this run, all
    checked since its watermark), with this run's actions (`expectation_actions`). A check
    belongs to a version when the keys (the model's `unique_key`) and `_applied_through` are
    the same: a check from an earlier batch, of a version since replaced, is not returned, so
    a key that failed and was corrected is applied. Small: only failing rows are checked in.
    `into` as in `silver_watermark`.
#}
{% macro expectations_failed(checked, applied, model_name, into=none) %}
    {%- set keys = config.get('unique_key') -%}
    {%- set keys = [keys] if keys is string else keys -%}
    select actioned.*
    from ({{ expectation_actions(checked, model_name) }}) as actioned
    inner join {{ applied }} as applied_version
        on
            actioned._applied_through = applied_version._applied_through
            {%- for key in keys %}
                and actioned.{{ key }} = applied_version.{{ key }}
            {%- endfor %}
    where actioned._applied_through > {{ silver_watermark(into=into) }}
{% endmacro %}
