{#
    The sequence of a Debezium feed (Databricks' SEQUENCE BY), declared per feed as
    `meta.sequence_by` in the source YAML, as one exact number (`decimal(38,0)`, the type of
    `_lsn`) computed from the envelope `e`:
    - `postgres` (the default): `source.lsn`.
    - `mysql`: the binlog position `source.file` (the number after its last dot),
      `source.pos`, `source.row`, as file * 10^24 + pos * 10^8 + row.
    - `sqlserver`: `source.change_lsn` (or `source.commit_lsn` for a snapshot read, which has
      no change LSN), three hex parts `vlf:block:slot`, then `source.event_serial_no`, as
      (vlf * 10^15 + block * 10^5 + slot) * 10^8 + event_serial_no. A key's changes are
      serialised by the source's row locks, so their change LSNs follow commit order; the
      commit LSN adds nothing to the order of one key.
    - `{expression: <SQL over the envelope e>}`: any other connector.
    Returns {'expression': SQL, 'required': [source fields a line must have]}. A line whose
    sequence is missing or not a number is quarantined with the field's name.
#}
{% macro debezium_sequence(feed) %}
    {{ return(adapter.dispatch('debezium_sequence', 'lakehouse')(feed)) }}
{% endmacro %}

{# DuckDB #}
{% macro duckdb__debezium_sequence(feed) %}
    {% set setting = feed.meta.get('sequence_by', 'postgres') %}
    {% if setting is mapping %}
        {{ return({'expression': '(' ~ setting.expression ~ ')::decimal(38,0)', 'required': []}) }}
    {% elif setting == 'postgres' %}
        {{ return({'expression': "try_cast(e ->> '$.source.lsn' as decimal(38,0))",
                   'required': ['lsn']}) }}
    {% elif setting == 'mysql' %}
        {% set expression %}
            (try_cast(regexp_extract(e ->> '$.source.file', '\.(\d+)$', 1) as decimal(38,0))
                * 1000000000000000000000000
                + try_cast(e ->> '$.source.pos' as decimal(38,0)) * 100000000
                + coalesce(try_cast(e ->> '$.source.row' as decimal(38,0)), 0))
        {% endset %}
        {{ return({'expression': expression, 'required': ['file', 'pos']}) }}
    {% elif setting == 'sqlserver' %}
        {% set lsn = "string_split(coalesce(e ->> '$.source.change_lsn', e ->> '$.source.commit_lsn'), ':')" %}
        {% set expression %}
            ((try_cast(('0x' || {{ lsn }}[1]) as ubigint)::decimal(38,0) * 1000000000000000
                + try_cast(('0x' || {{ lsn }}[2]) as ubigint)::decimal(38,0) * 100000
                + try_cast(('0x' || {{ lsn }}[3]) as ubigint)::decimal(38,0)) * 100000000
                + coalesce(try_cast(e ->> '$.source.event_serial_no' as decimal(38,0)), 0))
        {% endset %}
        {{ return({'expression': expression, 'required': ['commit_lsn']}) }}
    {% endif %}
    {{ exceptions.raise_compiler_error(
        "feed '" ~ feed.name ~ "': sequence_by is '" ~ setting
        ~ "'; expected postgres, mysql, sqlserver or {expression: ...}") }}
{% endmacro %}

{# Spark: the same sequences over the VARIANT envelope `e` (an expression is Spark SQL) #}
{% macro spark__debezium_sequence(feed) %}
    {% set setting = feed.meta.get('sequence_by', 'postgres') %}
    {% set source_field = "try_variant_get(e, '$.source.%s', 'string')" %}
    {% if setting is mapping %}
        {{ return({'expression': 'cast((' ~ setting.expression ~ ') as decimal(38,0))', 'required': []}) }}
    {% elif setting == 'postgres' %}
        {{ return({'expression': 'try_cast(' ~ source_field | format('lsn') ~ ' as decimal(38,0))',
                   'required': ['lsn']}) }}
    {% elif setting == 'mysql' %}
        {% set expression %}
            (try_cast(regexp_extract({{ source_field | format('file') }}, '[.]([0-9]+)$', 1) as decimal(38,0))
                * 1000000000000000000000000
                + try_cast({{ source_field | format('pos') }} as decimal(38,0)) * 100000000
                + coalesce(try_cast({{ source_field | format('row') }} as decimal(38,0)), 0))
        {% endset %}
        {{ return({'expression': expression, 'required': ['file', 'pos']}) }}
    {% elif setting == 'sqlserver' %}
        {% set lsn = "split(coalesce(" ~ source_field | format('change_lsn') ~ ", "
            ~ source_field | format('commit_lsn') ~ "), ':')" %}
        {% set part = "cast(conv(%s[%d], 16, 10) as decimal(38,0))" %}
        {% set expression %}
            ((({{ part | format(lsn, 0) }} * 1000000000000000
                + {{ part | format(lsn, 1) }} * 100000
                + {{ part | format(lsn, 2) }}) * 100000000)
                + coalesce(try_cast({{ source_field | format('event_serial_no') }} as decimal(38,0)), 0))
        {% endset %}
        {{ return({'expression': expression, 'required': ['commit_lsn']}) }}
    {% endif %}
    {{ exceptions.raise_compiler_error(
        "feed '" ~ feed.name ~ "': sequence_by is '" ~ setting
        ~ "'; expected postgres, mysql, sqlserver or {expression: ...}") }}
{% endmacro %}
