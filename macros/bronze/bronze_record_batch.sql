{#
    Records a feed's batch, run by the `bronze_feed` materialization after the batch's rows:
    the inserts of `bronze_record_inserts` (quarantine rows, then one ingest ledger row per
    staged file). On a full refresh the feed's earlier ledger and quarantine rows are replaced,
    and a file quarantined whole and replaced since has its old rows replaced, so the ledger
    always describes what the table holds.
#}
{% macro bronze_record_batch(feed) %}
    {{ return(adapter.dispatch('bronze_record_batch', 'lakehouse')(feed)) }}
{% endmacro %}

{# DuckDB: returns the statements, which the materialization runs in the transaction that
   appends the batch's rows #}
{% macro duckdb__bronze_record_batch(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set ledger = ref('ingest_ledger') %}
    {% set quarantine = ref('quarantine_landing') %}
    {% if should_full_refresh() %}
        delete from {{ ledger }} where feed = '{{ feed.name }}';
        delete from {{ quarantine }} where feed = '{{ feed.name }}';
    {% else %}
        -- a file quarantined whole and replaced since: its new reading replaces the old one
        delete from {{ quarantine }}
        where feed = '{{ feed.name }}' and source_file in (select path from {{ stage }});
        delete from {{ ledger }}
        where feed = '{{ feed.name }}' and path in (select path from {{ stage }});
    {% endif %}
    {{ bronze_record_inserts(feed) | join(';\n') }};
{% endmacro %}

{#
    Spark: runs the statements one by one (it returns nothing). The ledger insert is last: it is
    the batch's commit record (see the Spark `bronze_feed` materialization). A full refresh has
    forgotten the feed's ledger and quarantine before its batch; otherwise the rows of a
    replaced file are removed with `bronze_rewrite_without` (Parquet tables have no DELETE).
#}
{% macro spark__bronze_record_batch(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set replaced = "feed = '" ~ feed.name ~ "' and %s in (select path from " ~ stage ~ ")" %}
    {% if not should_full_refresh() %}
        {% do bronze_rewrite_without(ref('quarantine_landing'), replaced | format('source_file')) %}
        {% do bronze_rewrite_without(ref('ingest_ledger'), replaced | format('path')) %}
    {% endif %}
    {% for statement in bronze_record_inserts(feed) %}
        {% do run_query(statement) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}
