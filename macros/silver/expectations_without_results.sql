{#
    The models of the graph that declare expectations (`config.meta.expectations`) and are not
    among `model_names`: `dq_expectation_results` lists the checked models it reads (dbt needs
    refs at parse time, before the graph exists) and fails the build with this list when it
    misses one, so a new entity's expectations cannot go unreported.
#}
{% macro expectations_without_results(model_names) %}
    {% if not execute %}{{ return([]) }}{% endif %}
    {% set missing = [] %}
    {% for node in graph.nodes.values() %}
        {% if node.resource_type == 'model' and node.config.meta.get('expectations')
            and node.name not in model_names %}
            {% do missing.append(node.name) %}
        {% endif %}
    {% endfor %}
    {{ return(missing | sort) }}
{% endmacro %}
