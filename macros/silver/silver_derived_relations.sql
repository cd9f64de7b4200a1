{#
    What an entity's history derives when the project declares nothing else for the entity, as
    an AUTO CDC flow does: a post-hook of the silver models (dbt_project.yml) that, for a model
    named `<entity>_history` with no `<entity>_checked`, `<entity>` or `quarantine_<entity>`
    model, builds those three relations beside it after each run, with the same macros and
    incremental strategies as the models of an entity that declares them (`silver_checked`,
    `silver_current`, `silver_quarantine`), then records the entity's expectation results. The
    expectations are declared on the history model (`config.meta.expectations`); the current
    state has the history's key (`unique_key`) and every column of the history not technical
    (not `_`-prefixed, not its validity). A `fail` expectation fails the history's model, whose
    run, on DuckDB, commits nothing. An entity that declares one of the three declares all.
#}
{% macro silver_derived_relations() %}
    {% if not execute or not model.name.endswith('_history') %}{{ return('') }}{% endif %}
    {% set entity = model.name[:-('_history' | length)] %}
    {% set names = [entity ~ '_checked', entity, 'quarantine_' ~ entity] %}
    {% set declared = [] %}
    {% for node in graph.nodes.values() if node.resource_type == 'model' and node.name in names %}
        {% do declared.append(node.name) %}
    {% endfor %}
    {% if declared %}
        {% if declared | length < names | length %}
            {{ exceptions.raise_compiler_error(
                "entity " ~ entity ~ " declares " ~ declared | join(', ') ~ " but not the rest of "
                ~ names | join(', ') ~ ": declare all three or none (derived from " ~ model.name ~ ")") }}
        {% endif %}
        {{ return('') }}
    {% endif %}

    {% set unique_key = config.get('unique_key') %}
    {% set keys = [unique_key] if unique_key is string else unique_key %}
    {% set validity = ['valid_from', 'valid_to', 'is_current', 'is_deleted'] %}
    {% set attributes = [] %}
    {% for column in adapter.get_columns_in_relation(this) %}
        {% if column.name not in keys + validity and not column.name.startswith('_') %}
            {% do attributes.append(column.name) %}
        {% endif %}
    {% endfor %}

    {% set checked = silver_derived_build(names[0], 'append', keys, none, 'checked') %}
    {% do silver_derived_build(names[1], 'replace_touched_keys', keys, checked, 'current',
                               attributes=attributes) %}
    {% do silver_derived_build(names[2], 'append', keys, checked, 'quarantine') %}
    {% do run_query(record_expectation_results(entity, checked=checked)) %}
    {{ return('') }}
{% endmacro %}

{#
    Builds one relation derived from the history model (`silver_derived_relations`): created
    (or, on a full refresh, recreated) from its select, else the select's rows applied by the
    incremental `strategy`, new columns appended. Returns the relation.
#}
{% macro silver_derived_build(name, strategy, keys, checked, kind, attributes=[]) %}
    {% set relation = this.incorporate(path={'identifier': name}, type='table') %}
    {% set existing = adapter.get_relation(relation.database, relation.schema, name) %}
    {% set into = {'relation': relation, 'incremental': existing is not none and not should_full_refresh(),
                   'history': this, 'checked': checked} %}
    {% set entity = model.name[:-('_history' | length)] %}
    {% if kind == 'checked' %}
        {% set sql = silver_checked(entity, into=into) %}
    {% elif kind == 'current' %}
        {% set sql = silver_current(entity, keys, keys, attributes, into=into) %}
    {% else %}
        {% set sql = silver_quarantine(entity, into=into) %}
    {% endif %}
    {% if not into.incremental %}
        {% if existing is not none %}
            {% do adapter.drop_relation(existing) %}
        {% endif %}
        {% do run_query(create_table_as(false, relation, sql)) %}
        {{ return(relation) }}
    {% endif %}
    {% set temp = make_temp_relation(relation) %}
    {% do run_query(create_table_as(true, temp, sql)) %}
    {% set dest_columns = process_schema_changes('append_new_columns', temp, existing) %}
    {% set strategy_sql = adapter.get_incremental_strategy_macro(context, strategy)({
        'target_relation': relation, 'temp_relation': temp, 'unique_key': keys,
        'dest_columns': dest_columns, 'incremental_predicates': none, 'into': into,
        'touched_by': [{'relation': this, 'keys': keys}]}) %}
    {% do run_query(strategy_sql) %}
    {% do adapter.drop_relation(temp) %}
    {{ return(relation) }}
{% endmacro %}
