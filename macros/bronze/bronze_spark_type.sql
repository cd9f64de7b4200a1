{#
    A contract's column type (`data_type` in _bronze__sources.yml, DuckDB's names) as Spark
    SQL names it: varchar/text -> string, integer -> int, blob -> binary; the rest (bigint,
    double, boolean, date, timestamp, decimal(p,s)) are the same.
#}
{% macro bronze_spark_type(data_type) %}
    {%- set t = data_type | lower | replace(' ', '') -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'integer': 'int', 'int4': 'int',
        'int8': 'bigint', 'blob': 'binary', 'bytea': 'binary', 'varbinary': 'binary',
        'timestamptz': 'timestamp', 'datetime': 'timestamp', 'real': 'float', 'float8': 'double',
        'numeric': 'decimal', 'bool': 'boolean'} -%}
    {{- return(names.get(t, t.replace('numeric(', 'decimal('))) -}}
{%- endmacro %}
