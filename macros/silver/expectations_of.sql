{#
    The expectations of a silver model, as declared in its YAML (`config.meta.expectations`:
    a list of {name, expression, action}), with the actions overridden by the
    `expectation_actions` variable where it names them (`{"<model>.<expectation>": action}`),
    e.g. to escalate a `drop` to `fail` for one run. Actions are DLT's: warn, drop, fail.
    An entity whose current state is derived from its history (`silver_derived_relations`),
    so that no model is named after it, declares them on its history model.
#}
{% macro expectations_of(model_name) %}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% set overrides = var('expectation_actions', {}) %}
    {% set found = [] %}
    {% set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | list %}
    {% set declaring = model_name if models | selectattr('name', 'equalto', model_name) | list
                       else model_name ~ '_history' %}
    {% for node in models %}
        {% if node.name == declaring %}
            {% for e in node.config.meta.get('expectations', []) %}
                {% set action = overrides.get(model_name ~ '.' ~ e.name, e.action) %}
                {% if action not in ('warn', 'drop', 'fail') %}
                    {{ exceptions.raise_compiler_error(
                        "expectation " ~ model_name ~ "." ~ e.name ~ ": action '" ~ action
                        ~ "' is not one of warn, drop, fail") }}
                {% endif %}
                {% do found.append({'name': e.name, 'expression': e.expression,
                                    'action': action}) %}
            {% endfor %}
        {% endif %}
    {% endfor %}
    {{ return(found) }}
{% endmacro %}
