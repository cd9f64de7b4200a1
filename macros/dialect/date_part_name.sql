{#
    The English name of a date's month or day of the week, in full ('January', 'Monday'):
    DuckDB's `monthname`/`dayname`; Spark's functions of those names abbreviate ('Jan', 'Mon'),
    so Spark formats the date instead.
#}
{% macro date_part_name(part, expression) %}
    {{ return(adapter.dispatch('date_part_name', 'lakehouse')(part, expression)) }}
{% endmacro %}

{% macro duckdb__date_part_name(part, expression) -%}
    {{ {'month': 'monthname', 'day': 'dayname'}[part] }}({{ expression }})
{%- endmacro %}

{% macro default__date_part_name(part, expression) -%}
    date_format({{ expression }}, '{{ {'month': 'MMMM', 'day': 'EEEE'}[part] }}')
{%- endmacro %}
