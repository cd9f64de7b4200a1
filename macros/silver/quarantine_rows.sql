{#
    The select of a `quarantine_<entity>` model: the rows of `checked` (an expectations-checked
    model) applied since the quarantine last ran that an expectation with action drop keeps out
    of the entity's table, with the names of the expectations they fail, the run id and time.
    `into` as in `silver_watermark`.
#}
{% macro quarantine_rows(checked, model_name, into=none) %}
    select
        {{ star_except(['_rows_checked', '_dropped_by', '_failed_by']) }},
        '{{ invocation_id }}' as _run_id,
        now()::timestamp as _quarantined_at
    from ({{ expectation_actions(checked, model_name) }}) as actioned
    where
        _applied_through > {{ silver_watermark(into=into) }}
        and {{ array_size('_dropped_by') }} > 0
{% endmacro %}
