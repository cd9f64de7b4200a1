{#
    The landing feed a `bronze_feed` model selects from (its one `source('landing', ...)`), as
    its source node (`bronze_feed`). Shared by each engine's `bronze_feed` materialization.
#}
{% macro bronze_model_feed() %}
    {% set feed_names = [] %}
    {% for source_name, table_name in model.sources if source_name == 'landing' %}
        {% do feed_names.append(table_name) %}
    {% endfor %}
    {% if feed_names | length != 1 %}
        {{ exceptions.raise_compiler_error(
            "a bronze_feed model selects from exactly one landing source; " ~ this ~ " names "
            ~ (feed_names | join(', ') or 'none')) }}
    {% endif %}
    {{ return(bronze_feed(feed_names[0])) }}
{% endmacro %}
