{#
    Auto Loader as a dbt materialization: `materialized='bronze_feed'` on a model whose SQL is
    `select * from {{ source('landing', '<feed>') }}`. At run time it loads the feed's new
    files into the model's table (`bronze_load`: created on the first run, rebuilt by a full
    refresh, new fields added by `on_schema_change`), and writes their bronze.ingest_ledger and
    bronze.quarantine_landing rows (`bronze_record_batch`); with no new file, nothing but the
    listing runs. On DuckDB all of it is one transaction, so a run killed at
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
    {% set target = this.incorporate(type='table') %}
    {% set on_schema_change = incremental_validate_on_schema_change(
        config.get('on_schema_change'), default='append_new_columns') %}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {# on DuckDB the transaction begins with the first statement: all that follows is in it #}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% set load = bronze_load(feed, target, on_schema_change) %}
    {# dbt requires a `main` statement: with no new file, one that reads nothing #}
    {% call statement('main') %}
        {{ load.sql if load.sql is not none else 'select 0 as new_files' }}
    {% endcall %}
    {% if load.sql is not none %}
        {% do bronze_record_batch(feed) %}
    {% endif %}
    {% do persist_docs(target, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do bronze_end_batch(load.batch) %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}
