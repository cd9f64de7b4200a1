{#
    The text of each staged file a JSON-lines feed loads (readable, not a duplicate): `path`
    (landing-relative) and `content`. DuckDB reads the files again with `read_text`; Spark's
    stage holds their content already (its `binaryFile` listing).
#}
{% macro bronze_staged_texts(stage) %}
    {{ return(adapter.dispatch('bronze_staged_texts', 'lakehouse')(stage)) }}
{% endmacro %}

{% macro duckdb__bronze_staged_texts(stage) %}
    {% set files = bronze_loadable_files(stage) %}
    select substr(filename, {{ landing_path() | length + 2 }}) as path, content
    from read_text({{ sql_string_list(files) }})
{% endmacro %}

{% macro default__bronze_staged_texts(stage) %}
    select path, cast(content as string) as content
    from {{ stage }}
    where duplicate_of is null and is_readable
{% endmacro %}
