{#
    Delta Live Tables expectations, evaluated per row: the rows of `relation` with
    `_failed_expectations` (names of every expectation the row fails), `_dropped_by` (those
    with action drop) and `_failed_by` (those with action fail). An expression that evaluates
    to null passes, as a SQL CHECK constraint does. Rows where `unless` (an SQL condition) holds
    are not checked: their three lists are null (e.g. the deleted keys of a history, which no
    consumer applies, quarantines or counts).
#}
{% macro expectations_check(relation, model_name, unless=none) %}
    {%- set expectations = expectations_of(model_name) -%}
    {%- set lists = {'all': [], 'drop': [], 'fail': []} -%}
    {%- for e in expectations -%}
        {%- set test = "case when not coalesce((" ~ e.expression ~ "), true) then '"
            ~ e.name ~ "' end" -%}
        {%- do lists['all'].append(test) -%}
        {%- if e.action in ('drop', 'fail') -%}
            {%- do lists[e.action].append(test) -%}
        {%- endif -%}
    {%- endfor -%}
    select
        *,
        {% for list_name, kind in [('_failed_expectations', 'all'), ('_dropped_by', 'drop'),
                                   ('_failed_by', 'fail')] -%}
            {% if unless %}case when not ({{ unless }}) then {% endif -%}
            list_filter([{{ lists[kind] | join(', ') }}]::varchar[], name -> name is not null)
            {%- if unless %} end{% endif %} as {{ list_name }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ relation }}
{% endmacro %}
