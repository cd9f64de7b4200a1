{#
    How far an incremental silver model has already applied its input: a SQL expression for the
    largest value of `column` in the model's own table (optionally where `where` holds), or the
    lowest timestamp (`lowest_timestamp`) when the table is empty, on a first run or on a full
    refresh. It is SQL, not a value read while compiling, so unit tests can mock `this`.
#}
{% macro silver_watermark(column='_applied_through', where=none) -%}
    {%- if is_incremental() -%}
        (
            select coalesce(max(watermark_source.{{ column }}), {{ lowest_timestamp() }})
            from {{ this }} as watermark_source
            {% if where %}where {{ where }}{% endif %}
        )
    {%- else -%}
        {{ lowest_timestamp() }}
    {%- endif -%}
{%- endmacro %}
