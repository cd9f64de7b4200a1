{#
    Incremental strategy `replace_versions`, for SCD type 2 histories built by `apply_changes`:
    for each key (`unique_key`) in the model's output, deletes the key's versions from the first
    `_lsn` the output holds for it on, then inserts the output. A key moving forward replaces its
    current version (closed or unchanged) and adds the new ones; a key derived again from its
    first version replaces all its versions; every other version stays as it is. dbt's
    delete+insert would delete every version of a touched key and need them all re-inserted.
    On Spark (Parquet, no DELETE) the versions kept and the output are written back together
    (`overwrite_with`), which rewrites the table. On Databricks (Delta) it is one atomic
    `INSERT INTO ... REPLACE ON` (Databricks Runtime 17.1 and later): a version is replaced
    when a row of the output has its key and an `_lsn` at or before its own, which is the
    same as from the key's first `_lsn` in the output on.
#}
{% macro get_incremental_replace_versions_sql(arg_dict) %}
    {{ return(adapter.dispatch('get_incremental_replace_versions_sql', 'lakehouse')(arg_dict)) }}
{% endmacro %}

{% macro duckdb__get_incremental_replace_versions_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as history
    using (
        select {{ keys | join(', ') }}, min(_lsn) as _replaced_from
        from {{ source }}
        group by all
    ) as replaced
    where
        {% for key in keys -%}
            history.{{ key }} = replaced.{{ key }} and
        {% endfor -%}
        history._lsn >= replaced._replaced_from;
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }};
{% endmacro %}

{% macro databricks__get_incremental_replace_versions_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {#- dbt-databricks passes no dest_columns -#}
    {%- set columns = get_quoted_csv(adapter.get_columns_in_relation(target) | map(attribute='name')) -%}
    insert into table {{ target }} as history
    replace on (
        {% for key in keys -%}
            history.{{ key }} = changes.{{ key }} and
        {% endfor -%}
        history._lsn >= changes._lsn
    )
    (select {{ columns }} from {{ arg_dict['temp_relation'] }}) as changes
{% endmacro %}

{% macro default__get_incremental_replace_versions_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set kept -%}
        select {{ columns }} from {{ target }} as history
        anti join (
            select {{ keys | join(', ') }}, min(_lsn) as _replaced_from
            from {{ source }}
            group by all
        ) as replaced
            on
            {%- for key in keys %}
                history.{{ key }} = replaced.{{ key }} and
            {%- endfor %}
                history._lsn >= replaced._replaced_from
        union all
        select {{ columns }} from {{ source }}
    {%- endset -%}
    {% do overwrite_with(target, kept) %}
    refresh table {{ target }}
{% endmacro %}
