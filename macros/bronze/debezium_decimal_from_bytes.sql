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
    {{ return(adapter.dispatch('debezium_decimal_from_bytes', 'lakehouse')(text, scale, data_type)) }}
{% endmacro %}

{#
    DuckDB: each intermediate value (the bytes, their hex digits and length, the unscaled
    integer, its digits) is bound once with `list_transform([x], name -> ...)[1]`, DuckDB's
    "let", as on Spark: written out, the expression repeats the base64 decode some thirty
    times per column, and DuckDB's optimizer spent 1.5 s of a small batch's 2 s on the
    Debezium line items' four decimals (the rows take milliseconds).
#}
{% macro duckdb__debezium_decimal_from_bytes(text, scale, data_type) %}
    list_transform([{'b': try(from_base64({{ text }})), 's': {{ scale }}}], dec ->
        list_transform([{'h': hex(dec.b), 'n': octet_length(dec.b)}], len ->
            list_transform([case
                when len.n between 1 and 8 then
                    ('0x' || len.h)::ubigint::hugeint
                    - case when left(len.h, 1) >= '8' then 1::hugeint << (8 * len.n) else 0 end
                when len.n between 9 and 16 then
                    (('0x' || left(len.h, 2 * len.n - 16))::ubigint::hugeint
                        - case when left(len.h, 1) >= '8' then 1::hugeint << (8 * (len.n - 8))
                            else 0 end)
                    * (1::hugeint << 64)
                    + ('0x' || right(len.h, 16))::ubigint::hugeint
            end], unscaled ->
                {#- lpad cuts a longer text to the length: pad only up to scale + 1 digits -#}
                list_transform([lpad(abs(unscaled)::varchar,
                    greatest(length(abs(unscaled)::varchar), dec.s + 1)::integer, '0')], digits ->
                    try_cast(
                        case
                            when dec.s = 0 then unscaled::varchar
                            when dec.s > 0 then
                                case when unscaled < 0 then '-' else '' end
                                || left(digits, -(dec.s)) || '.' || right(digits, dec.s)
                        end
                        as {{ data_type }}
                    )
                )[1]
            )[1]
        )[1]
    )[1]
{%- endmacro %}

{#
    Spark: the same decoding; `conv` turns up to 16 hex digits (8 bytes) into an unsigned
    integer's digits, and the powers of two are exact decimal literals (a double is not exact
    above 2^53). Each intermediate value is bound once with `transform(array(x), name -> ...)[0]`
    (Spark SQL's "let"): written out, the expression repeats the base64 decode dozens of times
    per column and Spark's optimizer spends most of a build on it.
#}
{% macro spark__debezium_decimal_from_bytes(text, scale, data_type) %}
    {%- set ns = namespace(powers='') -%}
    {%- for i in range(1, 9) -%}
        {%- set ns.powers = ns.powers ~ ' when ' ~ i ~ ' then ' ~ (2 ** (8 * i)) ~ 'BD' -%}
    {%- endfor -%}
    {%- set power = '(case %s' ~ ns.powers ~ ' end)' -%}
    {%- set unsigned = 'cast(conv(%s, 16, 10) as decimal(38,0))' -%}
    transform(array(named_struct('h', hex(try_to_binary({{ text }}, 'base64')), 's', {{ scale }})), dec ->
        transform(array(named_struct('n', length(dec.h) div 2, 'negative', left(dec.h, 1) >= '8')), len ->
            transform(array(case
                when len.n between 1 and 8 then
                    {{ unsigned | format('dec.h') }}
                    - case when len.negative then {{ power | format('len.n') }} else 0 end
                when len.n between 9 and 16 then
                    ({{ unsigned | format('left(dec.h, 2 * len.n - 16)') }}
                        - case when len.negative then {{ power | format('len.n - 8') }} else 0 end)
                    * 18446744073709551616BD
                    + {{ unsigned | format('right(dec.h, 16)') }}
            end), unscaled ->
                transform(array(lpad(cast(abs(unscaled) as string),
                    greatest(length(cast(abs(unscaled) as string)), dec.s + 1), '0')), digits ->
                    try_cast(
                        case
                            when dec.s = 0 then cast(unscaled as string)
                            when dec.s > 0 then
                                case when unscaled < 0 then '-' else '' end
                                || substr(digits, 1, length(digits) - dec.s) || '.'
                                || right(digits, dec.s)
                        end
                        as {{ data_type }}
                    )
                )[0]
            )[0]
        )[0]
    )[0]
{%- endmacro %}
