{#
    The globs of a landing feed's files, relative to the landing zone: its `meta.path`, and for
    a feed with a Kafka topic (`meta.kafka_topic`) the batch files `lakehouse stream` writes
    from it, `stream/<feed>/<topic>/<partition>/<first offset>-<last offset>.jsonl`
    (lakehouse.stream.landing says the same in Python).
#}
{% macro bronze_feed_globs(feed) %}
    {% set globs = [feed.meta.path] %}
    {% if feed.meta.get('kafka_topic') %}
        {% do globs.append('stream/' ~ feed.name ~ '/*/*/*.jsonl') %}
    {% endif %}
    {{ return(globs) }}
{% endmacro %}
