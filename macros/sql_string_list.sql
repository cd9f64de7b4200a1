{#
    A Jinja list of strings as a DuckDB list literal of quoted strings, e.g. for the file list of
    `read_blob`/`read_parquet` (table functions take constants, not subqueries). Quotes are
    doubled; `tojson` would give double-quoted identifiers instead.
#}
{% macro sql_string_list(values) -%}
    [{% for value in values %}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}]::varchar[]
{%- endmacro %}
