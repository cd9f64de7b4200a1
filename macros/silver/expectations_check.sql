{#
    Delta Live Tables expectations, evaluated per row of `relation`: `_failed_expectations`, the
    names of every expectation the row fails, whatever its action. An expression that evaluates
    to null passes, as a SQL CHECK constraint does. Rows where `unless` (an SQL condition) holds
    are not checked (e.g. the deleted keys of a history, which no reader applies, quarantines
    or counts). The actions are applied by the readers (`expectation_actions`), so a checked row
    stays right when an action changes. `_rows_checked` is how many checked rows a row counts
    for in `dq_expectation_results`.

    Without `batch`, every row is returned, its `_rows_checked` 1 (null when unchecked): for a
    relation whose rows are all read downstream, such as the clickstream.
    With `batch` (a relation whose rows are the batch being checked, `relation` being those rows
    with what the expressions need joined to them), only the rows that fail an expectation are
    returned, plus one receipt row per batch: `_applied_through` the batch's largest,
    `_rows_checked` its number of checked rows, every other column null. The readers take the
    passing rows from where they came from, so a batch of millions of rows that pass writes one
    row; the receipt moves the model's watermark when nothing fails. The conjunction of the
    expressions filters first, so the list of names is built for failing rows only.
    `relation` and `batch` are read once each: declare them, and the CTEs they read, `as not
    materialized` in a first build (`batch_materialization`), or DuckDB copies the history
    before filtering it. The
    receipt is joined to the failing rows on false rather than unioned by name, so the
    columns come out in one order on every engine without being listed.
#}
{% macro expectations_check(relation, model_name, unless=none, batch=none) %}
    {%- set tests = [] -%}
    {%- set passes = [] -%}
    {%- for e in expectations_of(model_name) -%}
        {%- set passed = "coalesce((" ~ e.expression ~ "), true)" -%}
        {%- do passes.append(passed) -%}
        {%- do tests.append("case when not " ~ passed ~ " then '" ~ e.name ~ "' end") -%}
    {%- endfor -%}
    {%- set failed -%}
        filter({{ string_array(tests) }}, name -> name is not null)
    {%- endset -%}
    {%- if batch is none %}
        select
            *,
            {% if unless %}case when not ({{ unless }}) then {% endif -%}
            {{ failed }}
            {%- if unless %} end{% endif %} as _failed_expectations,
            {% if unless %}case when not ({{ unless }}) then 1 end{% else %}1{% endif %}::bigint
                as _rows_checked
        from {{ relation }}
    {%- else %}
        -- the failing rows and the receipt, side by side in one relation (a full join on false,
        -- so that no engine needs to know the relation's columns to union them)
        select
            {{ star_except(['_applied_through', '_failed_expectations'], 'failing') }},
            coalesce(failing._applied_through, receipt._applied_through) as _applied_through,
            failing._failed_expectations,
            receipt._rows_checked
        from (
            select
                *,
                {{ failed }} as _failed_expectations
            from {{ relation }}
            -- the conjunction first, vectorised, so the list is built for failing rows only
            where
                {% if unless %}not ({{ unless }}) and {% endif -%}
                not ({{ passes | join(' and ') if passes else 'true' }})
        ) as failing
        full outer join (
            select
                max(_applied_through) as _applied_through,
                count(*) {% if unless %}filter (where not ({{ unless }})){% endif %} as _rows_checked
            from {{ batch }}
            having count(*) > 0
        ) as receipt
            on false
    {%- endif %}
{% endmacro %}
