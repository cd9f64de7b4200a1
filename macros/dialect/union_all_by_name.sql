{#
    The rows of several selects, their columns matched by name (a column a select lacks is
    null in its rows), as DuckDB's `union all by name` does. Spark has no such union, so each
    branch is given as {sql, columns} (the columns it returns) and is wrapped in a select of
    the columns of all branches, in order, with nulls where a branch lacks one; DuckDB also
    takes a plain string per branch.
#}
{% macro union_all_by_name(branches) %}
    {{ return(adapter.dispatch('union_all_by_name', 'lakehouse')(branches)) }}
{% endmacro %}

{% macro duckdb__union_all_by_name(branches) -%}
    {%- for branch in branches %}
        {{ branch if branch is string else branch.sql }}
        {% if not loop.last %}union all by name{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro default__union_all_by_name(branches) -%}
    {%- set columns = [] -%}
    {%- for branch in branches -%}
        {%- if branch is string -%}
            {{ exceptions.raise_compiler_error(
                "union_all_by_name on " ~ target.type ~ " needs each branch's columns") }}
        {%- endif -%}
        {%- for column in branch.columns if column not in columns -%}
            {%- do columns.append(column) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for branch in branches %}
        select
            {%- for column in columns %}
            {{ column if column in branch.columns else 'null as ' ~ column }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        from ({{ branch.sql }}) as by_name_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
