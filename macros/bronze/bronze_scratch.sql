{#
    The name of a scratch relation of a feed's batch (`kind`: stage, lines, rows, ...): one
    temporary relation per feed and kind, on the model's connection, so that the macros of one
    batch find each other's relations by name.
#}
{% macro bronze_scratch(feed, kind) %}
    {{ return('__bronze_' ~ kind ~ '_' ~ feed.name) }}
{% endmacro %}
