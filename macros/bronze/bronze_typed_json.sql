{#
    A JSON field of a row image, cast to its declared type, accepting the encodings real feeds
    use: Debezium's default integer days since the epoch or an ISO-8601 string for dates, epoch
    milliseconds or an ISO-8601 string for timestamps, numbers or numeric strings for decimals
    (decimal.handling.mode double or string). A value that does not cast gives null (and is
    rescued by the caller), never an error. Debezium's `precise` decimals (base64 bytes) do not
    cast and are rescued.
#}
{% macro bronze_typed_json(img, field, data_type) %}
    {%- set t = data_type | lower | replace(' ', '') -%}
    {%- set value = img ~ " -> '" ~ field ~ "'" -%}
    {%- set text = img ~ " ->> '" ~ field ~ "'" -%}
    {%- if t in ('varchar', 'text', 'string') -%}
        ({{ text }})
    {%- elif t == 'date' -%}
        (case
            when json_type({{ value }}) in ('BIGINT', 'UBIGINT')
                then date '1970-01-01' + try_cast({{ text }} as integer)
            else try_cast({{ text }} as date)
        end)
    {%- elif t == 'timestamp' -%}
        (case
            when json_type({{ value }}) in ('BIGINT', 'UBIGINT')
                then make_timestamp(try_cast({{ text }} as bigint) * 1000)
            else try_cast(try_cast({{ text }} as timestamptz) as timestamp)
        end)
    {%- else -%}
        try_cast({{ text }} as {{ data_type }})
    {%- endif -%}
{% endmacro %}
