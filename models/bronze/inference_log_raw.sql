{{ config(materialized='bronze_feed') }}

-- the ledger and quarantine this feed's batches are recorded in
-- depends_on: {{ ref('ingest_ledger') }}, {{ ref('quarantine_landing') }}

select * from {{ source('landing', 'inference_log') }}
