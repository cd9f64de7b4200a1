{#
    The local equivalent of the DLT event log's data-quality metrics: one row per run, silver
    model and expectation. Its rows are appended by each entity's checked relation after it runs
    (`record_expectation_results`), as bronze's feeds write the ingest ledger; this model only
    creates the table, before every checked relation, so an entity added to the project reports
    its expectations without being listed here.
#}
{{ config(materialized='incremental', incremental_strategy='append') }}

select
    cast(null as string) as run_id,
    cast(null as timestamp) as run_at,
    cast(null as string) as model_name,
    cast(null as string) as expectation_name,
    cast(null as string) as action,
    cast(null as string) as expression,
    cast(null as bigint) as rows_checked,
    cast(null as bigint) as passed_rows,
    cast(null as bigint) as failed_rows,
    cast(null as timestamp) as batch_through
where false
