{#
    Incremental strategy `replace_touched_keys`, for current-state (SCD type 1) tables built
    from a history model (config `history`: its model name) with `unique_key`. The model's
    select gives the live, expectation-passing current versions of the keys whose history
    changed since the table last applied it (`_applied_through > silver_watermark()`). This
    strategy deletes every row of those keys, including keys that were deleted at the source or
    whose new version an expectation drops, then inserts the select's rows. The delete's
    watermark is read in the same statement, before any row is removed, so it is the one the
    select used. dbt's delete+insert cannot do this: it only deletes keys that are re-inserted.
#}
{% macro get_incremental_replace_touched_keys_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] if arg_dict['unique_key'] is not string
        else [arg_dict['unique_key']] -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set history = ref(config.get('history')) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where ({{ key_list }}) in (
        select ({{ key_list }}) from {{ history }}
        where _applied_through > (
            select coalesce(max(applied._applied_through), '-infinity'::timestamp)
            from {{ target }} as applied
        )
    );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }};
{% endmacro %}
