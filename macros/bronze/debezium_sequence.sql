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
    sequence is missing or not a number is quarantined with the field's name. The envelope is
    read with the JSON shims (`json_text`), so one body serves DuckDB and Spark; an
    `expression` is in the engine's SQL.
#}
{% macro debezium_sequence(feed) %}
    {% set setting = feed.meta.get('sequence_by', 'postgres') %}
    {% if setting is mapping %}
        {{ return({'expression': 'cast((' ~ setting.expression ~ ') as decimal(38, 0))',
                   'required': []}) }}
    {% elif setting == 'postgres' %}
        {{ return({'expression': 'try_cast(' ~ json_text('e', '$.source.lsn') ~ ' as decimal(38, 0))',
                   'required': ['lsn']}) }}
    {% elif setting == 'mysql' %}
        {% set expression %}
            (try_cast(regexp_extract({{ json_text('e', '$.source.file') }}, '[.]([0-9]+)$', 1)
                as decimal(38, 0)) * 1000000000000000000000000
                + try_cast({{ json_text('e', '$.source.pos') }} as decimal(38, 0)) * 100000000
                + coalesce(try_cast({{ json_text('e', '$.source.row') }} as decimal(38, 0)), 0))
        {% endset %}
        {{ return({'expression': expression, 'required': ['file', 'pos']}) }}
    {% elif setting == 'sqlserver' %}
        {% set lsn = 'coalesce(' ~ json_text('e', '$.source.change_lsn') ~ ', '
            ~ json_text('e', '$.source.commit_lsn') ~ ')' %}
        {% set expression %}
            ((({{ hex_to_decimal("split_part(" ~ lsn ~ ", ':', 1)") }} * 1000000000000000
                + {{ hex_to_decimal("split_part(" ~ lsn ~ ", ':', 2)") }} * 100000
                + {{ hex_to_decimal("split_part(" ~ lsn ~ ", ':', 3)") }}) * 100000000)
                + coalesce(try_cast({{ json_text('e', '$.source.event_serial_no') }}
                    as decimal(38, 0)), 0))
        {% endset %}
        {{ return({'expression': expression, 'required': ['commit_lsn']}) }}
    {% endif %}
    {{ exceptions.raise_compiler_error(
        "feed '" ~ feed.name ~ "': sequence_by is '" ~ setting
        ~ "'; expected postgres, mysql, sqlserver or {expression: ...}") }}
{% endmacro %}
