{#
    A quarantine_<entity> model: the rows of `<entity>_checked` that its expectations dropped,
    appended each run with their reasons (`quarantine_rows`).
#}
{% macro silver_quarantine(entity) %}
    {{ config(materialized='incremental', incremental_strategy='append') }}
    with

    checked as (
        select * from {{ ref(entity ~ '_checked') }}
    ),

    quarantined as (
        {{ quarantine_rows('checked', entity) }}
    )

    select * from quarantined
{% endmacro %}
