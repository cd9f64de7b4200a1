{#
    Records a feed's batch, run by the `bronze_feed` materialization after the batch's rows:
    the rows of files read again (a file quarantined whole and replaced since) are removed
    from the quarantine and the ledger, then the inserts of `bronze_record_inserts`
    (quarantine rows, then one ingest ledger row per staged file: last, the commit record where
    there are no transactions), so the ledger always describes what the table holds.
#}
{% macro bronze_record_batch(feed) %}
    {% set replaced = "feed = '" ~ feed.name ~ "' and %s in (select path from "
        ~ bronze_scratch(feed, 'stage') ~ ")" %}
    {% if not should_full_refresh() %}
        {% do bronze_rewrite_without(ref('quarantine_landing'), replaced | format('source_file')) %}
        {% do bronze_rewrite_without(ref('ingest_ledger'), replaced | format('path')) %}
    {% endif %}
    {% for statement in bronze_record_inserts(feed) %}
        {% do run_query(statement) %}
    {% endfor %}
{% endmacro %}
