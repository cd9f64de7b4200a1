{#
    Delta Lake's table versions in SQL, on the `lake` target (a DuckLake: every commit is a
    version, `lakehouse history --table` lists a table's). Dispatched: DuckLake's syntax here,
    Delta's (Databricks, Spark with Delta) as the default.
    - `at_version(relation, version)`: the relation as version `version` left it, for a FROM
      clause, without an alias (DuckDB wants the alias before `at`, Delta after `VERSION AS OF`);
    - `at_build_time(relation, timestamp)`: as it was at a build time (a SQL timestamp
      expression; Delta: `TIMESTAMP AS OF`). Source-time travel is `as_of`;
    - `table_changes(relation, from_version, to_version)`: the change data feed between two
      versions, one row per row inserted, deleted or updated (pre- and post-image), with
      `snapshot_id` and `change_type` (Delta: `table_changes()`, `_commit_version`,
      `_change_type`).
#}
{% macro at_version(relation, version) %}
    {{- return(adapter.dispatch('at_version')(relation, version)) -}}
{% endmacro %}

{% macro duckdb__at_version(relation, version) -%}
    {{ relation }} at (version => {{ version }})
{%- endmacro %}

{% macro default__at_version(relation, version) -%}
    {{ relation }} version as of {{ version }}
{%- endmacro %}

{% macro at_build_time(relation, timestamp) %}
    {{- return(adapter.dispatch('at_build_time')(relation, timestamp)) -}}
{% endmacro %}

{% macro duckdb__at_build_time(relation, timestamp) -%}
    {{ relation }} at (timestamp => {{ timestamp }})
{%- endmacro %}

{% macro default__at_build_time(relation, timestamp) -%}
    {{ relation }} timestamp as of {{ timestamp }}
{%- endmacro %}

{% macro table_changes(relation, from_version, to_version) %}
    {{- return(adapter.dispatch('table_changes')(relation, from_version, to_version)) -}}
{% endmacro %}

{% macro duckdb__table_changes(relation, from_version, to_version) -%}
    ducklake_table_changes(
        '{{ relation.database }}', '{{ relation.schema }}', '{{ relation.identifier }}',
        {{ from_version }}, {{ to_version }}
    )
{%- endmacro %}

{% macro default__table_changes(relation, from_version, to_version) -%}
    table_changes('{{ relation.schema }}.{{ relation.identifier }}', {{ from_version }}, {{ to_version }})
{%- endmacro %}
