{#
    The schema evolution mode of a feed, with Auto Loader's names. The `schema_evolution_mode`
    variable is either one mode for every feed, or a mapping from feed (source table name, e.g.
    `web_events`) to mode, with an optional `default` key.
#}
{% macro schema_evolution_mode(feed_name) %}
    {% set setting = var('schema_evolution_mode', 'addNewColumns') %}
    {% if setting is mapping %}
        {% set mode = setting.get(feed_name, setting.get('default', 'addNewColumns')) %}
    {% else %}
        {% set mode = setting %}
    {% endif %}
    {% set modes = ['addNewColumns', 'rescue', 'failOnNewColumns', 'none'] %}
    {% if mode not in modes %}
        {{ exceptions.raise_compiler_error(
            "schema_evolution_mode for feed '" ~ feed_name ~ "' is '" ~ mode
            ~ "'; expected one of " ~ modes | join(', ')) }}
    {% endif %}
    {{ return(mode) }}
{% endmacro %}
