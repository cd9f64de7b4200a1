{#
    A Jinja list of file URIs as the items of a Spark SQL `in (...)` list (Spark's string
    literals escape with a backslash); `null` for an empty list, which matches nothing.
#}
{% macro bronze_spark_paths(files) -%}
    {%- for file in files %}'{{ file | replace('\\', '\\\\') | replace("'", "\\'") }}'{{ ", " if not loop.last }}{% endfor -%}
    {{- 'null' if not files -}}
{%- endmacro %}
