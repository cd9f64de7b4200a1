{#
    A contract's column type (`data_type` in the source YAML, DuckDB's names) as the engine
    names it: DuckDB's as they are; on Spark varchar/text -> string, integer -> int,
    blob -> binary, and the like (bigint, double, boolean, date, timestamp, decimal(p,s) are
    the same).
#}
{% macro bronze_column_type(data_type) %}
    {{ return(adapter.dispatch('bronze_column_type', 'lakehouse')(data_type)) }}
{% endmacro %}

{% macro duckdb__bronze_column_type(data_type) %}
    {{ return(data_type) }}
{% endmacro %}

{% macro default__bronze_column_type(data_type) %}
    {%- set t = data_type | lower | replace(' ', '') -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'integer': 'int', 'int4': 'int',
        'int8': 'bigint', 'blob': 'binary', 'bytea': 'binary', 'varbinary': 'binary',
        'timestamptz': 'timestamp', 'datetime': 'timestamp', 'real': 'float', 'float8': 'double',
        'numeric': 'decimal', 'bool': 'boolean'} -%}
    {{- return(names.get(t, t.replace('numeric(', 'decimal('))) -}}
{% endmacro %}
