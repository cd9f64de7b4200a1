{#
    A JSON field of a row image, cast to its declared type, decoding every value encoding of
    Debezium's JSON output for the column types relational sources use. `schema` is a SQL
    expression for the line's field schemas (Kafka Connect's schema of the row struct, a JSON
    object keyed by field; null for a line without a schema); `encoding` is the column's
    declared encoding (`meta.encoding` in the source YAML: a Connect type or logical name), used
    when the line has no schema. Without either, the value's own JSON type decides:
    - decimal: a number (`double`), a numeric string (`string`), base64 bytes (`precise`, the
      default: `org.apache.kafka.connect.data.Decimal`, scale from the schema, else the
      declared scale; a string is read as bytes when the declared scale is above 0 and it has
      no decimal point, as `string` mode always prints the scale's digits), or an object
      `{scale, value}` (`io.debezium.data.VariableScaleDecimal`);
    - date: integer days since the epoch (`io.debezium.time.Date`, Connect `Date`) or ISO-8601;
    - timestamp: epoch ms (`io.debezium.time.Timestamp`, Connect `Timestamp`), µs
      (`MicroTimestamp`), ns (`NanoTimestamp`), or ISO-8601 with or without an offset
      (`ZonedTimestamp`, converted to UTC); without a schema a number's unit is read from its
      magnitude (below 1e13 ms, below 1e16 µs, else ns: exact for times from 1970-04 to 2286);
    - time: ms (`io.debezium.time.Time`, Connect `Time`), µs (`MicroTime`, the default without
      a schema), ns (`NanoTime`), or ISO text;
    - blob: base64 bytes; boolean, integers, floats: JSON values or their text.
    A value that does not decode gives null (the caller rescues it), never an error.
#}
{% macro bronze_typed_json(img, field, data_type, schema=none, encoding=none) %}
    {{ return(adapter.dispatch('bronze_typed_json', 'lakehouse')(img, field, data_type, schema, encoding)) }}
{% endmacro %}

{#
    DuckDB: the field's JSON value, its text, its kind (schema name or type, else the declared
    encoding) and the schema's scale are bound once per row with
    `list_transform([{...}], fld -> ...)[1]` (DuckDB's "let", as on Spark): written out, a
    decimal or date column repeats them a dozen times, and the optimizer's time grows with the
    expression, not with the rows (see debezium_decimal_from_bytes).
#}
{% macro duckdb__bronze_typed_json(img, field, data_type, schema=none, encoding=none) %}
    {%- set t = data_type | lower | replace(' ', '') -%}
    {%- set declared = "'" ~ (encoding or '') ~ "'" -%}
    {%- if schema is none -%}
        {%- set kind = declared -%}
        {%- set schema_scale = 'null::integer' -%}
    {%- else -%}
        {%- set field_schema = '(' ~ schema ~ " -> '" ~ field ~ "')" -%}
        {%- set kind = 'coalesce(' ~ field_schema ~ " ->> 'name', " ~ field_schema ~ " ->> 'type', "
            ~ declared ~ ')' -%}
        {%- set schema_scale = 'try_cast(' ~ field_schema ~ " -> 'parameters' ->> 'scale' as integer)" -%}
    {%- endif -%}
    {%- set text = img ~ " ->> '" ~ field ~ "'" -%}
    {%- set bound = "[{'v': " ~ img ~ " -> '" ~ field ~ "', 't': " ~ text ~ ", 'k': " ~ kind
        ~ ", 's': " ~ schema_scale ~ "}]" -%}
    {%- set is_number = "json_type(fld.v) in ('BIGINT', 'UBIGINT', 'HUGEINT')" -%}
    {%- set number = 'try_cast(fld.t as bigint)' -%}
    {%- set days = 'try_cast(fld.t as integer)' -%}
    {%- if t in ('varchar', 'text', 'string') -%}
        ({{ text }})
    {%- elif t.startswith('decimal') or t.startswith('numeric') -%}
        {%- set declared_scale = (t.split(',')[1].rstrip(')') if ',' in t else '3') if '(' in t else '3' -%}
        list_transform({{ bound }}, fld -> case
            when json_type(fld.v) = 'OBJECT' then {{ debezium_decimal_from_bytes(
                "fld.v ->> 'value'", "try_cast(fld.v ->> 'scale' as integer)", data_type) }}
            when json_type(fld.v) = 'VARCHAR' and (
                fld.k in ('org.apache.kafka.connect.data.Decimal', 'bytes', 'precise')
                or (fld.k = '' and {{ declared_scale }} > 0 and not contains(fld.t, '.')
                    and regexp_full_match(fld.t, '([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?'))
            ) then {{ debezium_decimal_from_bytes(
                'fld.t', 'coalesce(fld.s, ' ~ declared_scale ~ ')', data_type) }}
            else try_cast(fld.t as {{ data_type }})
        end)[1]
    {%- elif t in ('date', 'timestamp', 'datetime', 'timestamptz', 'timestampwithtimezone') -%}
        {%- set instant -%}
            list_transform({{ bound }}, fld -> case
                when {{ is_number }} then try(
                    case
                        when fld.k in ('io.debezium.time.Date', 'org.apache.kafka.connect.data.Date')
                            then (date '1970-01-01' + {{ days }})::timestamp
                        when fld.k in ('io.debezium.time.Timestamp', 'org.apache.kafka.connect.data.Timestamp')
                            then make_timestamp_ms({{ number }})
                        when fld.k = 'io.debezium.time.MicroTimestamp' then make_timestamp({{ number }})
                        when fld.k = 'io.debezium.time.NanoTimestamp'
                            then make_timestamp_ns({{ number }})::timestamp
                        {% if t == 'date' %}
                            else (date '1970-01-01' + {{ days }})::timestamp
                        {% else %}
                            when abs({{ number }}) < 10000000000000 then make_timestamp_ms({{ number }})
                            when abs({{ number }}) < 10000000000000000 then make_timestamp({{ number }})
                            else make_timestamp_ns({{ number }})::timestamp
                        {% endif %}
                    end)
                else coalesce(
                    try_cast(try_cast(fld.t as timestamptz) as timestamp),
                    try_cast(fld.t as timestamp)
                )
            end)[1]
        {%- endset -%}
        {%- if t == 'date' -%}
            try_cast({{ instant }} as date)
        {%- elif t in ('timestamptz', 'timestampwithtimezone') -%}
            try_cast({{ instant }} as timestamptz)
        {%- else -%}
            {{ instant }}
        {%- endif -%}
    {%- elif t == 'time' -%}
        list_transform({{ bound }}, fld -> case
            when {{ is_number }} then time '00:00:00' + to_microseconds(
                case
                    when fld.k in ('io.debezium.time.Time', 'org.apache.kafka.connect.data.Time')
                        then {{ number }} * 1000
                    when fld.k = 'io.debezium.time.NanoTime' then {{ number }} // 1000
                    else {{ number }}
                end)
            else try_cast(fld.t as time)
        end)[1]
    {%- elif t in ('blob', 'bytea', 'binary', 'varbinary') -%}
        try(from_base64({{ text }}))
    {%- else -%}
        try_cast({{ text }} as {{ data_type }})
    {%- endif -%}
{% endmacro %}

{#
    Spark: the same decodings over a VARIANT row image (`img`); `schema` is a map of field ->
    Connect field schema (struct of type, name, parameters), null without a schema. A JSON
    number's kind comes from `schema_of_variant` (integers are BIGINT).
#}
{% macro spark__bronze_typed_json(img, field, data_type, schema=none, encoding=none) %}
    {%- set t = data_type | lower | replace(' ', '') -%}
    {%- set spark_type = bronze_column_type(data_type) -%}
    {%- set value = 'fld.v' -%}
    {%- set text = 'fld.t' -%}
    {%- set declared = "'" ~ (encoding or '') ~ "'" -%}
    {%- if schema is none -%}
        {%- set kind = declared -%}
        {%- set schema_scale = 'cast(null as int)' -%}
    {%- else -%}
        {%- set field_schema = schema ~ "['" ~ field ~ "']" -%}
        {%- set kind = 'coalesce(' ~ field_schema ~ '.name, ' ~ field_schema ~ '.type, ' ~ declared ~ ')' -%}
        {%- set schema_scale = 'try_cast(' ~ field_schema ~ ".parameters['scale'] as int)" -%}
    {%- endif -%}
    {%- set value_type = 'fld.k' -%}
    {%- set is_number = value_type ~ " in ('TINYINT', 'SMALLINT', 'INT', 'BIGINT')" -%}
    {%- set number = 'try_cast(' ~ text ~ ' as bigint)' -%}
    {%- set days = 'try_cast(' ~ text ~ ' as int)' -%}
    {%- set bound = "try_variant_get(" ~ img ~ ", '$." ~ field ~ "', 'variant')" -%}
    {%- if spark_type == 'string' -%}
        try_variant_get({{ img }}, '$.{{ field }}', 'string')
    {%- else -%}
    {#- the field's value, its text and its JSON type, bound once (see
        spark__debezium_decimal_from_bytes) -#}
    transform(array(named_struct('v', {{ bound }}, 't', try_variant_get({{ bound }}, '$', 'string'),
        'k', schema_of_variant({{ bound }}))), fld ->
    {%- if t.startswith('decimal') or t.startswith('numeric') -%}
        {%- set declared_scale = (t.split(',')[1].rstrip(')') if ',' in t else '3') if '(' in t else '3' -%}
        (case
            when startswith({{ value_type }}, 'OBJECT') then {{ debezium_decimal_from_bytes(
                "try_variant_get(" ~ value ~ ", '$.value', 'string')",
                "try_variant_get(" ~ value ~ ", '$.scale', 'int')", spark_type) }}
            when {{ value_type }} = 'STRING' and (
                {{ kind }} in ('org.apache.kafka.connect.data.Decimal', 'bytes', 'precise')
                or ({{ kind }} = '' and {{ declared_scale }} > 0 and not contains({{ text }}, '.')
                    and {{ text }} rlike '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$')
            ) then {{ debezium_decimal_from_bytes(
                text, 'coalesce(' ~ schema_scale ~ ', ' ~ declared_scale ~ ')', spark_type) }}
            else try_cast({{ text }} as {{ spark_type }})
        end)
    {%- elif t in ('date', 'timestamp', 'datetime', 'timestamptz', 'timestampwithtimezone') -%}
        {%- set instant -%}
            (case
                when {{ is_number }} then
                    case
                        when {{ kind }} in ('io.debezium.time.Date', 'org.apache.kafka.connect.data.Date')
                            then cast(date_from_unix_date({{ days }}) as timestamp)
                        when {{ kind }} in ('io.debezium.time.Timestamp', 'org.apache.kafka.connect.data.Timestamp')
                            then timestamp_millis({{ number }})
                        when {{ kind }} = 'io.debezium.time.MicroTimestamp' then timestamp_micros({{ number }})
                        when {{ kind }} = 'io.debezium.time.NanoTimestamp'
                            then timestamp_micros({{ number }} div 1000)
                        {% if t == 'date' %}
                            else cast(date_from_unix_date({{ days }}) as timestamp)
                        {% else %}
                            when abs({{ number }}) < 10000000000000 then timestamp_millis({{ number }})
                            when abs({{ number }}) < 10000000000000000 then timestamp_micros({{ number }})
                            else timestamp_micros({{ number }} div 1000)
                        {% endif %}
                    end
                else try_cast({{ text }} as timestamp)
            end)
        {%- endset -%}
        {%- if t == 'date' -%}
            try_cast({{ instant }} as date)
        {%- else -%}
            {{ instant }}
        {%- endif -%}
    {%- elif spark_type == 'binary' -%}
        try_to_binary({{ text }}, 'base64')
    {%- else -%}
        try_cast({{ text }} as {{ spark_type }})
    {%- endif %}
    )[0]
    {%- endif -%}
{% endmacro %}
