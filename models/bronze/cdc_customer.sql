{{
    config(post_hook="{{ bronze_record_batch('cdc_customer') }}")
}}

-- depends_on: {{ source('landing', 'cdc_customer') }}
-- depends_on: {{ ref('ingest_ledger') }}
-- depends_on: {{ ref('quarantine_landing') }}

{{ bronze_ingest('cdc_customer') }}
