{#
    The bronze table of a landing feed that has no bronze model of its own, for a silver model
    that reads the feed straight from its source contract: `{{ bronze_source('cdc_promotions') }}`
    in place of `ref('cdc_promotions')`. The feed is loaded into `bronze.<feed>` by the model
    that reads it, before its own statement (`bronze_source_feeds`, a pre-hook of every silver
    model), with the same guarantees and ledger as a `bronze_feed` model: dbt's lineage shows
    the source feeding the silver model. The model depends on the ledger and the quarantine it
    writes to.
#}
{% macro bronze_source(name) %}
    {%- do source('landing', name) -%}
    {%- do ref('quarantine_landing') -%}
    {{ return(ref('ingest_ledger').incorporate(path={'identifier': name})) }}
{% endmacro %}

{#
    Loads the landing feeds the model reads with `bronze_source` (its landing sources that no
    bronze model selects from), one batch each (`bronze_load`): a pre-hook of the silver
    models (dbt_project.yml), doing nothing for a model that reads bronze models only.
#}
{% macro bronze_source_feeds() %}
    {% set landing = [] %}
    {% for source_name, table_name in model.sources if source_name == 'landing' %}
        {% do landing.append(table_name) %}
    {% endfor %}
    {% if not execute or not landing %}{{ return('') }}{% endif %}
    {% set modelled = [] %}
    {% for node in graph.nodes.values() if node.config.materialized == 'bronze_feed' %}
        {% for source_name, table_name in node.sources %}
            {% do modelled.append(table_name) %}
        {% endfor %}
    {% endfor %}
    {% for table_name in landing if table_name not in modelled %}
        {% set feed = bronze_feed(table_name) %}
        {% set load = bronze_load(feed, bronze_source(table_name), 'append_new_columns') %}
        {% if load.sql is not none %}
            {% do run_query(load.sql) %}
            {% do bronze_record_batch(feed) %}
        {% endif %}
        {% do bronze_end_batch(load.batch) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}
