{#
    How far an incremental silver model has already applied its input: the largest value of
    `column` in the model's table (optionally where `where` holds), as a SQL timestamp literal;
    '-infinity' on a first run or full refresh. Read while the model compiles, so the model's
    SQL and its hooks use the same value within one run.
#}
{% macro silver_watermark(column='_applied_through', where=none) %}
    {% if execute and is_incremental() %}
        {% set result = run_query(
            "select max(" ~ column ~ ")::varchar from " ~ this
            ~ (" where " ~ where if where else "")) %}
        {% set value = result.columns[0].values()[0] %}
        {% if value is not none %}
            {{ return("timestamp '" ~ value ~ "'") }}
        {% endif %}
    {% endif %}
    {{ return("'-infinity'::timestamp") }}
{% endmacro %}
