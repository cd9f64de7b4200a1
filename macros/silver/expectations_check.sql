{#
    Delta Live Tables expectations, evaluated per row: the rows of `relation` with
    `_failed_expectations` (names of every expectation the row fails), `_dropped_by` (those
    with action drop) and `_failed_by` (those with action fail). An expression that evaluates
    to null passes, as a SQL CHECK constraint does.
#}
{% macro expectations_check(relation, model_name) %}
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
        list_filter([{{ lists['all'] | join(', ') }}]::varchar[], name -> name is not null)
            as _failed_expectations,
        list_filter([{{ lists['drop'] | join(', ') }}]::varchar[], name -> name is not null)
            as _dropped_by,
        list_filter([{{ lists['fail'] | join(', ') }}]::varchar[], name -> name is not null)
            as _failed_by
    from {{ relation }}
{% endmacro %}
