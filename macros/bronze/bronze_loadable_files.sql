{#
    The staged files a batch reads rows from (readable, not a duplicate), oldest path first, as
    the engine's reader takes them (`full_path`): a Jinja list, read from the batch's stage.
#}
{% macro bronze_loadable_files(stage) %}
    {{ return(run_query(
        "select full_path from " ~ stage ~ " where duplicate_of is null and is_readable order by path"
    ).columns[0].values() | list) }}
{% endmacro %}
