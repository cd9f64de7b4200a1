{#
    Every column of a query's FROM but `except`, with the columns `renames` names renamed
    ({old: new}, in order). DuckDB keeps each renamed column in its place
    (`* exclude (...) rename (...)`); Spark has no rename, so the renamed columns come after
    the others (`* except (...), old as new`). Readers select columns by name, so the order is
    the engine's own.
#}
{% macro star_rename(renames, except=[]) %}
    {{ return(adapter.dispatch('star_rename', 'lakehouse')(renames, except)) }}
{% endmacro %}

{% macro duckdb__star_rename(renames, except=[]) -%}
    *
    {%- if except %} exclude ({{ except | join(', ') }}){% endif %} rename (
    {%- for old, new in renames.items() %}
        {{ old }} as {{ new }}{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{% macro default__star_rename(renames, except=[]) -%}
    * except ({{ (except + renames.keys() | list) | join(', ') }}),
    {%- for old, new in renames.items() %}
    {{ old }} as {{ new }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
