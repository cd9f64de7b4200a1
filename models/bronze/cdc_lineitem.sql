{{
    config(post_hook="{{ bronze_record_batch('cdc_lineitem') }}")
}}

-- depends_on: {{ source('landing', 'cdc_lineitem') }}
-- depends_on: {{ ref('ingest_ledger') }}
-- depends_on: {{ ref('quarantine_landing') }}

{{ bronze_ingest('cdc_lineitem') }}
