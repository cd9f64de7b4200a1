{#
    Bronze's attached-database path (Databricks' JDBC sources): attach the operational database
    at `LAKEHOUSE_EXTERNAL_DB` read-only, as catalog `crm`, when the file exists. SQLite files
    attach through DuckDB's sqlite extension, `.duckdb` files natively. Idempotent. Returns
    whether the database is attached. (Postgres: see the README.)
#}
{% macro attach_external_database() %}
    {% set path = env_var('LAKEHOUSE_EXTERNAL_DB', 'data/generated/external/crm.sqlite') %}
    {% if not execute %}{{ return(false) }}{% endif %}
    {% set found = run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] %}
    {% if found == 0 %}{{ return(false) }}{% endif %}
    {% set kind = 'duckdb' if path.endswith('.duckdb') else 'sqlite' %}
    {% do run_query("attach if not exists '" ~ path ~ "' as crm (type " ~ kind ~ ", read_only)") %}
    {{ return(true) }}
{% endmacro %}
