{#
    A quarantine_<entity> model: the rows of `<entity>_checked` that its expectations dropped,
    appended each run with their reasons (`quarantine_rows`). `into` ({relation, incremental,
    checked}) as in `silver_checked`.
#}
{% macro silver_quarantine(entity, into=none) %}
    {{ config(materialized='incremental', incremental_strategy='append') }}
    with

    checked as (
        select * from {{ into.checked if into else ref(entity ~ '_checked') }}
    ),

    quarantined as (
        {{ quarantine_rows('checked', entity, into=into) }}
    )

    select * from quarantined
{% endmacro %}
