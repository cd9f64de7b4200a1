{#
    The SQL of an incremental strategy that replaces rows by key on an engine whose tables have
    no DELETE (Spark's Parquet tables): the table is written back (`overwrite_with`) as its rows
    whose keys are in none of `replaced` ((select of keys, key columns) pairs) and for which no
    condition of `always` (SQL on the table's columns) holds, then the increment's rows. Keys
    match null-safe (`<=>`: a null key names the rows whose key is null), unless `null_safe` is
    false (`=`, as dbt's delete+insert matches). Returns the statement that refreshes Spark's
    cache of the table.
#}
{% macro overwrite_replacing(arg_dict, replaced, always=[], null_safe=true) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set kept -%}
        select {{ columns }} from (
            select * from {{ target }}
            {%- for condition in always %}
                {{ 'where' if loop.first else 'and' }} not coalesce({{ condition }}, false)
            {%- endfor %}
        ) as kept_rows
        {%- for keys_select, keys in replaced %}
            {%- set alias = 'replaced_' ~ loop.index %}
            left anti join ({{ keys_select }}) as {{ alias }}
                on
                {%- for key in keys %}
                    kept_rows.{{ key }} {{ '<=>' if null_safe else '=' }} {{ alias }}.{{ key }}
                    {%- if not loop.last %} and{% endif %}
                {%- endfor %}
        {%- endfor %}
        union all
        select {{ columns }} from {{ arg_dict['temp_relation'] }}
    {%- endset -%}
    {% do overwrite_with(target, kept) %}
    refresh table {{ target }}
{% endmacro %}
