{#
    The start of the tumbling event-time window of `minutes` minutes that `ts` falls in
    (windows aligned to the epoch, as Structured Streaming's `window()`): DuckDB's
    `time_bucket`, Spark's seconds arithmetic.
#}
{% macro window_start(ts, minutes) %}
    {{ return(adapter.dispatch('window_start', 'lakehouse')(ts, minutes)) }}
{% endmacro %}

{% macro duckdb__window_start(ts, minutes) -%}
    time_bucket(interval '{{ minutes }} minutes', {{ ts }})
{%- endmacro %}

{% macro default__window_start(ts, minutes) -%}
    timestamp_seconds(floor(unix_timestamp({{ ts }}) / {{ minutes * 60 }}) * {{ minutes * 60 }})
{%- endmacro %}
