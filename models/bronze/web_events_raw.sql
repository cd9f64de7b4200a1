{{
    config(post_hook="{{ bronze_record_batch('web_events') }}")
}}

-- depends_on: {{ source('landing', 'web_events') }}
-- depends_on: {{ ref('ingest_ledger') }}
-- depends_on: {{ ref('quarantine_landing') }}

{{ bronze_ingest('web_events') }}
