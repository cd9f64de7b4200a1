{#
    Incremental strategy `replace_keys`: every row of the keys (`unique_key`) in the model's
    output is replaced by the output's rows, as dbt's `delete+insert` does, which it runs on
    DuckDB. dbt-spark has no `delete+insert` (Parquet has no DELETE without Delta), so on Spark
    the table's other rows and the output are written back together (`overwrite_with`). On
    Databricks (Delta) it is dbt-databricks' delete+insert: one atomic `INSERT INTO ... REPLACE
    ON` on Databricks Runtime 17.1 and later, DELETE then INSERT before. Used by the snapshot
    histories (`apply_snapshots`).
#}
{% macro get_incremental_replace_keys_sql(arg_dict) %}
    {{ return(adapter.dispatch('get_incremental_replace_keys_sql', 'lakehouse')(arg_dict)) }}
{% endmacro %}

{% macro duckdb__get_incremental_replace_keys_sql(arg_dict) %}
    {{ return(get_incremental_delete_insert_sql(arg_dict)) }}
{% endmacro %}

{% macro databricks__get_incremental_replace_keys_sql(arg_dict) %}
    {{ return(get_incremental_delete_insert_sql(arg_dict)) }}
{% endmacro %}

{% macro default__get_incremental_replace_keys_sql(arg_dict) %}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {{ overwrite_replacing(arg_dict, [(
        'select distinct ' ~ keys | join(', ') ~ ' from ' ~ arg_dict['temp_relation'], keys)],
        null_safe=false) }}
{% endmacro %}
