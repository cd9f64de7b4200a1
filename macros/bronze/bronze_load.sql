{#
    One batch of a landing feed (its source node, `bronze_feed`) into its bronze table
    (`target`): on Spark, a batch the ledger does not record is removed first (on a full
    refresh, the feed's ledger and quarantine rows are); the feed's new files are staged
    (`bronze_stage_files`) and read (`bronze_ingest`); the table is created, rebuilt by a full
    refresh, or appended to with new fields added (`on_schema_change`). Returns the statement
    that writes the table (`sql`) and the temporary relation of appended rows (`batch`, none
    when the table is created), for the caller to run, record (`bronze_record_batch`) and end
    (`bronze_end_batch`); `sql` is none when no file is new (an empty batch: nothing to read,
    write or record, so a feed with nothing pending costs its listing only). Shared by the `bronze_feed` materialization and the feeds a silver
    model reads straight from the landing zone (`bronze_source`).
#}
{% macro bronze_load(feed, target, on_schema_change) %}
    {% set existing = load_cached_relation(target) %}
    {% set full_refresh = should_full_refresh() %}
    {% if full_refresh %}
        {% do bronze_rewrite_without(ref('ingest_ledger'), "feed = '" ~ feed.name ~ "'") %}
        {% do bronze_rewrite_without(ref('quarantine_landing'), "feed = '" ~ feed.name ~ "'") %}
    {% else %}
        {% do bronze_forget_unrecorded(feed, existing) %}
    {% endif %}
    {% set files = bronze_stage_files(feed) %}
    {% if not files and existing is not none and not full_refresh %}
        {{ return({'sql': none, 'batch': none}) }}
    {% endif %}
    {% set batch_sql = bronze_ingest(feed) %}
    {% if existing is none or full_refresh %}
        {% if existing is not none %}
            {% do adapter.drop_relation(existing) %}
        {% endif %}
        {{ return({'sql': create_table_as(false, target, batch_sql), 'batch': none}) }}
    {% endif %}
    {% set batch = make_temp_relation(target) %}
    {% do run_query(create_table_as(true, batch, batch_sql)) %}
    {{ return({'sql': bronze_append_sql(batch, target, existing, on_schema_change), 'batch': batch}) }}
{% endmacro %}
