{#
    How far an incremental silver model has already applied its input: a SQL expression for the
    largest value of `column` in the model's own table (optionally where `where` holds), or the
    lowest timestamp (`lowest_timestamp`) when the table is empty, on a first run or on a full
    refresh. It is SQL, not a value read while compiling, so unit tests can mock `this`.
    `into` ({relation, incremental}) names another table than the model's own: a relation an
    entity's history derives (`silver_derived_relations`).
#}
{% macro silver_watermark(column='_applied_through', where=none, into=none) -%}
    {%- if (into.incremental if into else is_incremental()) -%}
        (
            select coalesce(max(watermark_source.{{ column }}), {{ lowest_timestamp() }})
            from {{ into.relation if into else this }} as watermark_source
            {% if where %}where {{ where }}{% endif %}
        )
    {%- else -%}
        {{ lowest_timestamp() }}
    {%- endif -%}
{%- endmacro %}
