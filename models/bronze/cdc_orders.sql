{{
    config(post_hook="{{ bronze_record_batch('cdc_orders') }}")
}}

-- depends_on: {{ source('landing', 'cdc_orders') }}
-- depends_on: {{ ref('ingest_ledger') }}
-- depends_on: {{ ref('quarantine_landing') }}

{{ bronze_ingest('cdc_orders') }}
