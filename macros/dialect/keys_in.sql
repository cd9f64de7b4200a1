{#
    A condition that the row's `keys` (a list of columns) are among those `keys` columns of the
    rows of `relation` (an SQL relation, with an optional `where`): DuckDB compares one
    composite value (`(a, b) in (select (a, b) ...)`), Spark the columns
    (`(a, b) in (select a, b ...)`).
#}
{% macro keys_in(keys, relation, where=none) %}
    {{ return(adapter.dispatch('keys_in', 'lakehouse')(keys, relation, where)) }}
{% endmacro %}

{% macro duckdb__keys_in(keys, relation, where=none) -%}
    ({{ keys | join(', ') }}) in (
        select ({{ keys | join(', ') }}) from {{ relation }}
        {%- if where %} where {{ where }}{% endif %}
    )
{%- endmacro %}

{% macro default__keys_in(keys, relation, where=none) -%}
    ({{ keys | join(', ') }}) in (
        select {{ keys | join(', ') }} from {{ relation }}
        {%- if where %} where {{ where }}{% endif %}
    )
{%- endmacro %}
