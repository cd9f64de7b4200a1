{#
    The fields of a feed's batch that its contract does not declare, in the order seen; in
    schema evolution mode failOnNewColumns the run stops instead, naming the file and the
    field. Shared by each engine's `bronze_select_columns`.
#}
{% macro bronze_new_fields(feed, observed) %}
    {% set new_fields = [] %}
    {% for field in observed if field not in feed.columns %}
        {% do new_fields.append(field) %}
    {% endfor %}
    {% if new_fields and schema_evolution_mode(feed.name) == 'failOnNewColumns' %}
        {{ exceptions.raise_compiler_error(
            "schema evolution mode failOnNewColumns: feed '" ~ feed.name ~ "' file '"
            ~ observed[new_fields[0]].file ~ "' has new field '" ~ new_fields[0]
            ~ "' (not in the contract in _bronze__sources.yml)") }}
    {% endif %}
    {{ return(new_fields) }}
{% endmacro %}
