{#
    Auto Loader as a dbt materialization: `materialized='bronze_feed'` on a model whose SQL is
    `select * from {{ source('landing', '<feed>') }}`. At run time it discovers the feed's new
    files (`bronze_stage_files`), reads them (`bronze_ingest`), appends their rows to the
    model's table (created on the first run, rebuilt by a full refresh, new fields added by
    `on_schema_change`), and writes their bronze.ingest_ledger and bronze.quarantine_landing
    rows (`bronze_record_batch`). On DuckDB all of it is one transaction, so a run killed at
    any point leaves all or none of a feed's batch. On Spark (and Databricks), where a Parquet
    table has no transactions, the ledger is written last and is the commit record: a batch
    the ledger does not record is removed before the next (`bronze_forget_unrecorded`), and a
    full refresh forgets the feed's ledger first, so a refresh killed part-way reads every file
    again. Nothing happens while the model compiles: `dbt compile`, `dbt docs generate` and
    the linter read no landing file. The model declares the ledger and the quarantine it
    writes to with a `depends_on` line, so they are built before it.
#}
{% materialization bronze_feed, default %}
    {% set feed = bronze_model_feed() %}
    {% set existing = load_cached_relation(this) %}
    {% set target = this.incorporate(type='table') %}
    {% set full_refresh = should_full_refresh() %}
    {% set on_schema_change = incremental_validate_on_schema_change(
        config.get('on_schema_change'), default='append_new_columns') %}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {# on DuckDB the transaction begins with the first statement: all that follows is in it #}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% if full_refresh %}
        {% do bronze_rewrite_without(ref('ingest_ledger'), "feed = '" ~ feed.name ~ "'") %}
        {% do bronze_rewrite_without(ref('quarantine_landing'), "feed = '" ~ feed.name ~ "'") %}
    {% else %}
        {% do bronze_forget_unrecorded(feed, existing) %}
    {% endif %}
    {% do bronze_stage_files(feed) %}
    {% set batch_sql = bronze_ingest(feed) %}
    {% set batch = none %}
    {% if existing is none or full_refresh %}
        {% if existing is not none %}
            {% do adapter.drop_relation(existing) %}
        {% endif %}
        {% set build_sql = create_table_as(false, target, batch_sql) %}
    {% else %}
        {% set batch = make_temp_relation(target) %}
        {% do run_query(create_table_as(true, batch, batch_sql)) %}
        {% set build_sql = bronze_append_sql(batch, target, existing, on_schema_change) %}
    {% endif %}
    {% call statement('main') %}
        {{ build_sql }}
    {% endcall %}
    {% do bronze_record_batch(feed) %}
    {% do persist_docs(target, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do bronze_end_batch(batch) %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}
