{#
    A timestamp from milliseconds since the Unix epoch: DuckDB's `epoch_ms`, Spark's
    `timestamp_millis`.
#}
{% macro timestamp_from_millis(millis) %}
    {{ return(adapter.dispatch('timestamp_from_millis', 'lakehouse')(millis)) }}
{% endmacro %}

{% macro duckdb__timestamp_from_millis(millis) -%}
    epoch_ms({{ millis }})
{%- endmacro %}

{% macro default__timestamp_from_millis(millis) -%}
    timestamp_millis({{ millis }})
{%- endmacro %}
