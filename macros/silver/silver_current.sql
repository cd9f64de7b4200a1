{#
    A CDC entity's current-state model: the live current version of each key its history
    rewrote since the last run, less the rows its expectations drop, failing the build on a
    `fail` expectation; replaces those keys' rows (`replace_touched_keys`). The columns are the
    entity's keys and attributes, then `_changed_at` (when the version became current), the
    `technical` columns kept from the history (e.g. `_lsn`) and `_applied_through`. `into`
    ({relation, incremental, history, checked}) as in `silver_checked`.
#}
{% macro silver_current(entity, unique_key, keys, attributes, technical=[], into=none) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_touched_keys',
        unique_key=unique_key,
        meta={'history': entity ~ '_history'},
        on_schema_change='fail',
    ) }}
    with

    changed as {{ batch_materialization(into) }} (
        -- the live current version of each key the history rewrote since the last run
        select * from {{ into.history if into else ref(entity ~ '_history') }}
        where is_current and not is_deleted and _applied_through > {{ silver_watermark(into=into) }}
    ),

    failed as (
        -- the checks of those versions that failed an expectation, with this run's actions
        {{ expectations_failed(into.checked if into else ref(entity ~ '_checked'), 'changed', entity,
                               into=into) }}
    ),

    applied as (
        select
            {{ (keys + attributes) | join(', ') }},
            valid_from as _changed_at,
            {% for column in technical %}{{ column }}, {% endfor %}_applied_through
        from changed
        where
            {{ expectations_not_dropped('changed', 'failed') }}
            and {{ expectations_fail_guard('failed', entity) }}
    )

    select * from applied
{% endmacro %}
