{#
    Auto Loader as a dbt materialization: `materialized='bronze_feed'` on a model whose SQL is
    `select * from {{ source('landing', '<feed>') }}`. At run time, in one transaction, it
    discovers the feed's new files (`bronze_stage_files`), reads them (`bronze_ingest`), appends
    their rows to the model's table (created on the first run, rebuilt by a full refresh, new
    fields added by `on_schema_change`), and writes their bronze.ingest_ledger and
    bronze.quarantine_landing rows (`bronze_record_batch`); so a run killed at any point leaves
    all or none of a feed's batch. Nothing happens while the model compiles: `dbt compile`,
    `dbt docs generate` and the linter read no landing file. The model declares the ledger and
    the quarantine it writes to with a `depends_on` line, so they are built before it.
#}
{% materialization bronze_feed, adapter='duckdb' %}
    {% set feed = bronze_model_feed() %}
    {% set existing = load_cached_relation(this) %}
    {% set target = this.incorporate(type='table') %}
    {% set full_refresh = should_full_refresh() %}
    {% set on_schema_change = incremental_validate_on_schema_change(
        config.get('on_schema_change'), default='append_new_columns') %}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {# BEGIN happens with the first statement: discovery and staging are in the transaction #}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% do bronze_stage_files(feed) %}
    {% set batch_sql = bronze_ingest(feed) %}
    {% if existing is none or full_refresh %}
        {% if existing is not none %}
            {% do adapter.drop_relation(existing) %}
        {% endif %}
        {% set build_sql = create_table_as(false, target, batch_sql) %}
    {% else %}
        {% set batch = make_temp_relation(target) %}
        {% do run_query(create_table_as(true, batch, batch_sql)) %}
        {% do adapter.expand_target_column_types(from_relation=batch, to_relation=target) %}
        {% set dest_columns = process_schema_changes(on_schema_change, batch, existing)
            or adapter.get_columns_in_relation(existing) %}
        {% set build_sql = get_incremental_append_sql({
            'target_relation': target, 'temp_relation': batch, 'dest_columns': dest_columns}) %}
    {% endif %}
    {% call statement('main') %}
        {{ build_sql }}
    {% endcall %}
    {% call statement('record_batch') %}
        {{ bronze_record_batch(feed) }}
    {% endcall %}
    {% do persist_docs(target, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {% if batch is defined %}
        {% do run_query('drop table if exists ' ~ batch.include(database=false, schema=false)) %}
    {% endif %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}

{#
    The same materialization on Spark (dbt-spark; Databricks uses it too), where a Parquet
    table has no transactions: the batch's writes are ordered so that the ledger is written
    last and is the commit record. Before each batch, rows and quarantine rows of a batch the
    ledger does not record (a run killed between its writes) are removed
    (`bronze_forget_unrecorded`), so their files are read again and loaded exactly once. A
    full refresh forgets the feed's ledger first, so a refresh killed part-way is resumed by
    reading every file again.
#}
{% materialization bronze_feed, adapter='spark' %}
    {% set feed = bronze_model_feed() %}
    {% set existing = load_cached_relation(this) %}
    {% set target = this.incorporate(type='table') %}
    {% set full_refresh = should_full_refresh() %}
    {% set on_schema_change = incremental_validate_on_schema_change(
        config.get('on_schema_change'), default='append_new_columns') %}

    {{ run_hooks(pre_hooks) }}
    {% if full_refresh %}
        {% do bronze_rewrite_without(ref('ingest_ledger'), "feed = '" ~ feed.name ~ "'") %}
        {% do bronze_rewrite_without(ref('quarantine_landing'), "feed = '" ~ feed.name ~ "'") %}
    {% else %}
        {% do bronze_forget_unrecorded(feed, existing) %}
    {% endif %}
    {% do bronze_stage_files(feed) %}
    {% set batch_sql = bronze_ingest(feed) %}
    {% if existing is none or full_refresh %}
        {% if existing is not none %}
            {% do adapter.drop_relation(existing) %}
        {% endif %}
        {% set build_sql = create_table_as(false, target, batch_sql) %}
    {% else %}
        {% set batch = make_temp_relation(target) %}
        {% do run_query(create_table_as(true, batch, batch_sql)) %}
        {% do process_schema_changes(on_schema_change, batch, existing) %}
        {% set build_sql = get_insert_into_sql(batch, target) %}
    {% endif %}
    {% call statement('main') %}
        {{ build_sql }}
    {% endcall %}
    {% do bronze_record_batch(feed) %}
    {% do persist_docs(target, model) %}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}
