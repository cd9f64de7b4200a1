{#
    A landing file's path under the landing zone (as the ledger and `_source_file` record it),
    from the URI Spark's file readers give (`file:/<landing>/cdc/orders/...`). The landing
    zone's root may be absolute or relative to the project directory.
#}
{% macro bronze_landing_relative(uri) %}
    {%- set root = landing_path() ~ '/' -%}
    substr({{ uri }}, instr({{ uri }}, '{{ root }}') + {{ root | length }})
{%- endmacro %}
