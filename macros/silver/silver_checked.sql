{#
    A <entity>_checked model: the current version of each key the entity's history rewrote since
    the last run, with the entity's expectations evaluated (`expectations_check`; deleted keys
    are not checked). `candidates` is a select over the CTE `current_versions` that adds what an
    expectation needs beyond the history's columns (default: the versions as they are).
#}
{% macro silver_checked(entity, candidates='select * from current_versions') %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
    ) }}
    with

    history as {{ materialization_hint('not materialized') }} (
        select * from {{ ref(entity ~ '_history') }}
    ),

    current_versions as {{ batch_materialization() }} (
        -- the batch: the current version of each key the history rewrote since the last run
        select * from history
        where is_current and _applied_through > {{ silver_watermark() }}
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
