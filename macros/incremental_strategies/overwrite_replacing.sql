{#
    The SQL of an incremental strategy that replaces rows by key on an engine whose tables have
    no DELETE (Spark's Parquet tables): the table is written back (`overwrite_with`) as its rows
    whose keys are in none of `replaced` ((select of keys, key columns) pairs), then the
    increment's rows. Returns the statement that refreshes Spark's cache of the table.
#}
{% macro overwrite_replacing(arg_dict, replaced) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set kept -%}
        select {{ columns }} from {{ target }}
        {%- for keys_select, keys in replaced %}
            anti join ({{ keys_select }}) as replaced_{{ loop.index }} using ({{ keys | join(', ') }})
        {%- endfor %}
        union all
        select {{ columns }} from {{ arg_dict['temp_relation'] }}
    {%- endset -%}
    {% do overwrite_with(target, kept) %}
    refresh table {{ target }}
{% endmacro %}
