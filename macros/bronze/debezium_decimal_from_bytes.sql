{#
    Kafka Connect's `org.apache.kafka.connect.data.Decimal` (Debezium's default
    `decimal.handling.mode=precise`): the unscaled value as big-endian two's-complement bytes,
    base64 in JSON, with the scale beside it (in the schema's `parameters.scale`, or in
    `io.debezium.data.VariableScaleDecimal`'s `scale` field). Decoded exactly, with no float on
    the way: the bytes become a hugeint (up to 16 bytes: 38 digits), the decimal point is put
    in the digits' text, and the text is cast to the declared type. Text that is not base64
    gives null (the caller rescues the value). DuckDB has no function from bytes to an integer,
    hence this macro.
#}
{% macro debezium_decimal_from_bytes(text, scale, data_type) %}
    {%- set b = 'try(from_base64(' ~ text ~ '))' -%}
    {%- set n = 'octet_length(' ~ b ~ ')' -%}
    {%- set h = 'hex(' ~ b ~ ')' -%}
    {%- set negative = "left(" ~ h ~ ", 1) >= '8'" -%}
    {%- set unscaled -%}
        (case
            when {{ n }} between 1 and 8 then
                ('0x' || {{ h }})::ubigint::hugeint
                - case when {{ negative }} then 1::hugeint << (8 * {{ n }}) else 0 end
            when {{ n }} between 9 and 16 then
                (('0x' || left({{ h }}, 2 * {{ n }} - 16))::ubigint::hugeint
                    - case when {{ negative }} then 1::hugeint << (8 * ({{ n }} - 8)) else 0 end)
                * (1::hugeint << 64)
                + ('0x' || right({{ h }}, 16))::ubigint::hugeint
        end)
    {%- endset -%}
    {#- lpad cuts a longer text to the length: pad only up to scale + 1 digits -#}
    {%- set magnitude = 'abs(' ~ unscaled ~ ')::varchar' -%}
    {%- set digits = 'lpad(' ~ magnitude ~ ', greatest(length(' ~ magnitude ~ '), ' ~ scale
        ~ ' + 1)::integer, \'0\')' -%}
    try_cast(
        case
            when {{ scale }} = 0 then {{ unscaled }}::varchar
            when {{ scale }} > 0 then
                case when {{ unscaled }} < 0 then '-' else '' end
                || left({{ digits }}, -({{ scale }})) || '.' || right({{ digits }}, {{ scale }})
        end
        as {{ data_type }}
    )
{%- endmacro %}
