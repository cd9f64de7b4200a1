{#
    Schemas are literally the layer names (`bronze`, `silver`, `gold`), with no target-name
    prefix, so a BI user types `gold.fct_order_line` whatever the target. A model without a
    custom schema lands in the target's schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
