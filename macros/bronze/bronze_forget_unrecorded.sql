{#
    Crash recovery for a bronze feed on an engine without transactions (Spark): the ledger is
    written last, so a batch whose run id the ledger does not have for this feed was cut off
    before it committed. Its rows (in `existing`, the feed's table) and its quarantine rows are
    removed, and its files, absent from the ledger, are read again by this run.
#}
{% macro bronze_forget_unrecorded(feed, existing) %}
    {{ return(adapter.dispatch('bronze_forget_unrecorded', 'lakehouse')(feed, existing)) }}
{% endmacro %}

{# DuckDB: a batch is one transaction, so a killed one left nothing to forget #}
{% macro duckdb__bronze_forget_unrecorded(feed, existing) %}
{% endmacro %}

{% macro default__bronze_forget_unrecorded(feed, existing) %}
    {% set recorded %}
        (select run_id from {{ ref('ingest_ledger') }} where feed = '{{ feed.name }}')
    {% endset %}
    {% if existing is not none %}
        {% do bronze_rewrite_without(existing, '_run_id not in ' ~ recorded) %}
    {% endif %}
    {% do bronze_rewrite_without(ref('quarantine_landing'),
        "feed = '" ~ feed.name ~ "' and run_id not in " ~ recorded) %}
{% endmacro %}
