{#
    A <entity>_checked model: the current version of each key the entity's history rewrote since
    the last run, with the entity's expectations evaluated (`expectations_check`; deleted keys
    are not checked), its counts appended to `dq_expectation_results` after each run.
    `candidates` is a select over the CTE `current_versions` that adds what an expectation needs
    beyond the history's columns (default: the versions as they are). `into` ({relation,
    incremental, history}) when the relation is derived from the history
    (`silver_derived_relations`) rather than a model of its own.
#}
{% macro silver_checked(entity, candidates='select * from current_versions', into=none) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        post_hook="{{ record_expectation_results('" ~ entity ~ "') }}",
    ) }}
    -- depends_on: {{ ref('dq_expectation_results') }}
    with

    history as {{ materialization_hint('not materialized') }} (
        select * from {{ into.history if into else ref(entity ~ '_history') }}
    ),

    current_versions as {{ batch_materialization(into) }} (
        -- the batch: the current version of each key the history rewrote since the last run
        select * from history
        where is_current and _applied_through > {{ silver_watermark(into=into) }}
    ),

    candidates as (
        {{ candidates }}
    ),

    checked as (
        {{ expectations_check(
            'candidates', entity, unless='is_deleted', batch='current_versions'
        ) }}
    )

    select * from checked
{% endmacro %}
