{#
    A Jinja list of strings as an SQL array literal of quoted strings, e.g. for the file list of
    `read_blob`/`read_parquet` (table functions take constants, not subqueries) or the names of
    an expectation action. Quotes are doubled; `tojson` would give double-quoted identifiers
    instead. DuckDB writes a list `[...]::varchar[]`, Spark `array(...)`.
#}
{% macro sql_string_list(values) %}
    {{ return(adapter.dispatch('sql_string_list', 'lakehouse')(values)) }}
{% endmacro %}

{% macro duckdb__sql_string_list(values) -%}
    [{% for value in values %}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}]::varchar[]
{%- endmacro %}

{% macro default__sql_string_list(values) -%}
    cast(array({% for value in values %}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}) as array<string>)
{%- endmacro %}
