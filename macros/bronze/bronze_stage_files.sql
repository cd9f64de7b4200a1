{#
    Auto Loader's file discovery, run while the bronze model compiles: list the feed's files
    in the landing zone, keep those not yet in bronze.ingest_ledger (at most
    `max_files_per_run`, oldest path first), and stage them in a temporary table with size,
    modification time, content hash (md5), whether they are readable and, when their content was
    already loaded under another name, which file they duplicate. Only the new files are read.
    The temporary table lives on the model's connection; the model and its post-hook
    (`bronze_record_batch`) read it in the same transaction. Returns the staging table's name.
#}
{% macro bronze_stage_files(feed) %}
    {% set stage = '__bronze_stage_' ~ feed.name %}
    {% set root = landing_path() %}
    {% set ledger = load_relation(ref('ingest_ledger')) %}
    {% set use_ledger = ledger is not none and not should_full_refresh() %}
    {% set max_files = var('max_files_per_run', none) %}
    {% set listing %}
        select file
        from glob('{{ root }}/{{ feed.meta.path }}')
        {% if use_ledger %}
            where
                substr(file, {{ root | length + 2 }}) not in (
                    select ledger.path from {{ ledger }} as ledger
                    where ledger.feed = '{{ feed.name }}'
                )
        {% endif %}
        order by file
        {% if max_files %}limit {{ max_files | int }}{% endif %}
    {% endset %}
    {% set files = run_query(listing).columns[0].values() | list if execute else [] %}
    {% set is_parquet = feed.meta.format == 'parquet' %}
    {% set staging %}
        create or replace temp table {{ stage }} as
        with blobs as (
            select
                substr(filename, {{ root | length + 2 }}) as path,
                filename as full_path,
                size as size_bytes,
                last_modified::timestamp as modified_at,
                md5(content) as content_hash,
                {% if is_parquet %}
                    size >= 12 and content[1:4] = 'PAR1'::blob and content[-4:] = 'PAR1'::blob
                {% else %}
                    true
                {% endif %} as is_readable
            from read_blob({{ sql_string_list(files) }})
        ),
        known as (
            {% if use_ledger %}
                select ledger.content_hash, min(ledger.path) as path
                from {{ ledger }} as ledger
                where ledger.feed = '{{ feed.name }}' and ledger.status = 'loaded'
                group by 1
            {% else %}
                select null::varchar as content_hash, null::varchar as path where false
            {% endif %}
        )
        select
            blobs.*,
            case
                when blobs.size_bytes = 0 then null
                when known.path is not null then known.path
                when row_number() over (partition by blobs.content_hash order by blobs.path) > 1
                    then first_value(blobs.path) over (
                        partition by blobs.content_hash order by blobs.path
                    )
            end as duplicate_of
        from blobs
        left join known using (content_hash)
    {% endset %}
    {% if execute %}
        {% do run_query(staging) %}
    {% endif %}
    {{ return(stage) }}
{% endmacro %}
