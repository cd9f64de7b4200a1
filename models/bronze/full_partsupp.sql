{{
    config(post_hook="{{ bronze_record_batch('full_partsupp') }}")
}}

-- depends_on: {{ source('landing', 'full_partsupp') }}
-- depends_on: {{ ref('ingest_ledger') }}
-- depends_on: {{ ref('quarantine_landing') }}

{{ bronze_ingest('full_partsupp') }}
