{#
    The landing feed's contract, as declared in models/bronze/_bronze__sources.yml: the source
    node (its `meta.path` glob, `meta.format`, `meta.required` fields and typed columns).
    dbt has no lookup of a source's YAML from SQL, hence this macro.
#}
{% macro bronze_feed(name) %}
    {% for node in graph.sources.values() %}
        {% if node.source_name == 'landing' and node.name == name %}
            {{ return(node) }}
        {% endif %}
    {% endfor %}
    {{ exceptions.raise_compiler_error("no landing source named '" ~ name ~ "'") }}
{% endmacro %}
