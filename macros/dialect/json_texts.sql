{#
    Several values of one parsed JSON value as text, in one struct: `paths` maps a field name
    to a JSON path ('$.a.b'); each field is what `json_text` gives for its path. On DuckDB a
    JSON value is its text, and each `->>` parses it again: `json_extract_string` with a list
    of paths parses it once. Spark reads its VARIANT without parsing (`try_variant_get`).
#}
{% macro json_texts(value, paths) %}
    {{ return(adapter.dispatch('json_texts', 'lakehouse')(value, paths)) }}
{% endmacro %}

{% macro duckdb__json_texts(value, paths) -%}
    list_transform(
        [json_extract_string({{ value }}, [
            {%- for path in paths.values() %}'{{ path }}'{{ ", " if not loop.last }}{% endfor -%}
        ])],
        texts -> struct_pack(
            {%- for name in paths %}{{ name }} := texts[{{ loop.index }}]{{ ", " if not loop.last }}{% endfor -%}
        )
    )[1]
{%- endmacro %}

{% macro default__json_texts(value, paths) -%}
    named_struct(
        {%- for name, path in paths.items() %}'{{ name }}', try_variant_get({{ value }}, '{{ path }}', 'string'){{ ", " if not loop.last }}{% endfor -%}
    )
{%- endmacro %}
