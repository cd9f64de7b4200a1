{#
    Delta Live Tables expectations, evaluated per row: the rows of `relation` with
    `_failed_expectations`, the names of every expectation the row fails, whatever its action.
    An expression that evaluates to null passes, as a SQL CHECK constraint does. Rows where
    `unless` (an SQL condition) holds are not checked: their list is null (e.g. the deleted keys
    of a history, which no reader applies, quarantines or counts). The actions are applied by
    the readers (`expectation_actions`), so a checked row stays right when an action changes.
#}
{% macro expectations_check(relation, model_name, unless=none) %}
    {%- set tests = [] -%}
    {%- for e in expectations_of(model_name) -%}
        {%- do tests.append("case when not coalesce((" ~ e.expression ~ "), true) then '"
            ~ e.name ~ "' end") -%}
    {%- endfor -%}
    select
        *,
        {% if unless %}case when not ({{ unless }}) then {% endif -%}
        list_filter([{{ tests | join(', ') }}]::varchar[], name -> name is not null)
        {%- if unless %} end{% endif %} as _failed_expectations
    from {{ relation }}
{% endmacro %}
