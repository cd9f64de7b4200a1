{#
    Incremental strategy `replace_touched_keys`, for current-state tables built from history
    models. Config `meta.history` names what decides which keys a run replaces: a history model
    name (its keys are the model's `unique_key`), or a list of entries when changes in several
    histories touch the table (e.g. an order line changes when its line or its order does):
    {model, keys}, the keys of the model's rows applied since the table's watermark, or
    {always: condition}, a condition on the table's own columns for rows replaced on every run
    (rows no history key names: a mart's group of lines whose order has not arrived). The
    model's select gives the live rows of the keys whose history changed since the table last
    applied it (`_applied_through > silver_watermark()`), and those `always` names. This
    strategy deletes every row of those keys, including keys deleted at the source or whose new
    version an expectation drops, then inserts the select's rows. Keys match null-safe: a null
    key (a mart's group of unknown customers) names the rows whose key is null. The delete's
    watermark is read in the same statement, before any row is removed, so it is the one the
    select used. dbt's delete+insert cannot do this: it only deletes keys that are
    re-inserted, by `=`. On DuckDB keys compare as one struct (nulls inside compare equal); on
    Spark (Parquet, no DELETE) the rows kept and the select's rows are written back together
    (`overwrite_with`, keys by `<=>`). On Databricks (Delta) it is one atomic MERGE on the
    table's `unique_key` (one row per key, by `<=>`): the select's rows update or insert, and
    the touched keys' other rows, marked `_replaced_only`, delete.
    A relation derived from a history (`silver_derived_relations`) passes `touched_by` (a list
    of {relation, keys}) and `into` (`silver_watermark`) in the argument dict instead.
#}
{% macro touched_by_histories(arg_dict) %}
    {%- if arg_dict.get('touched_by') -%}
        {{ return(arg_dict['touched_by']) }}
    {%- endif -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set history = config.meta_get('history') -%}
    {%- if history is string -%}
        {%- set history = [{'model': history,
                            'keys': [unique_key] if unique_key is string else unique_key}] -%}
    {%- endif -%}
    {%- set touched_by = [] -%}
    {%- for each in history -%}
        {%- do touched_by.append({'always': each['always']} if 'always' in each
                                 else {'relation': ref(each['model']), 'keys': each['keys']}) -%}
    {%- endfor -%}
    {{ return(touched_by) }}
{% endmacro %}

{% macro get_incremental_replace_touched_keys_sql(arg_dict) %}
    {{ return(adapter.dispatch('get_incremental_replace_touched_keys_sql', 'lakehouse')(arg_dict)) }}
{% endmacro %}

{% macro duckdb__get_incremental_replace_touched_keys_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set history = touched_by_histories(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where
    {%- for touched_by in history %}
        {%- if 'always' in touched_by %}
            coalesce({{ touched_by['always'] }}, false)
        {%- else %}
            struct_pack({{ touched_by['keys'] | join(', ') }}) in (
                select struct_pack({{ touched_by['keys'] | join(', ') }})
                from {{ touched_by['relation'] }}
                where _applied_through > {{ silver_watermark(into=arg_dict.get('into')) }}
            )
        {%- endif %}
        {% if not loop.last %}or{% endif %}
    {%- endfor %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }};
{% endmacro %}

{% macro databricks__get_incremental_replace_touched_keys_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set unique_key = [unique_key] if unique_key is string else unique_key -%}
    {%- set history = touched_by_histories(arg_dict) -%}
    {#- dbt-databricks passes no dest_columns -#}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | list -%}
    merge into {{ target }} as current_rows
    using (
        select {{ columns | join(', ') }}, false as _replaced_only
        from {{ arg_dict['temp_relation'] }}
        union all
        select
            {% for column in columns -%}
                {{ 'touched_rows.' ~ column if column | replace('`', '') in unique_key
                   else 'null' }} as {{ column }},
            {% endfor -%}
            true as _replaced_only
        from (
            select * from {{ target }} as candidate
            where
            {%- for touched_by in history %}
                {%- if 'always' in touched_by %}
                    coalesce({{ touched_by['always'] }}, false)
                {%- else %}
                    exists (
                        select 1 from {{ touched_by['relation'] }} as touching
                        where touching._applied_through
                            > {{ silver_watermark(into=arg_dict.get('into')) }}
                        {%- for key in touched_by['keys'] %}
                            and touching.{{ key }} <=> candidate.{{ key }}
                        {%- endfor %}
                    )
                {%- endif %}
                {% if not loop.last %}or{% endif %}
            {%- endfor %}
        ) as touched_rows
        left anti join {{ arg_dict['temp_relation'] }} as live
            on
            {%- for key in unique_key %}
                touched_rows.{{ key }} <=> live.{{ key }}{% if not loop.last %} and{% endif %}
            {%- endfor %}
    ) as changes
        on
        {%- for key in unique_key %}
            current_rows.{{ key }} <=> changes.{{ key }}{% if not loop.last %} and{% endif %}
        {%- endfor %}
    when matched and changes._replaced_only then delete
    when matched then update set
        {% for column in columns -%}
            {{ column }} = changes.{{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    when not matched and not changes._replaced_only then insert ({{ columns | join(', ') }})
        values ({% for column in columns %}changes.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %})
{% endmacro %}

{% macro default__get_incremental_replace_touched_keys_sql(arg_dict) %}
    {%- set replaced, always = [], [] -%}
    {%- for touched_by in touched_by_histories(arg_dict) -%}
        {%- if 'always' in touched_by -%}
            {%- do always.append(touched_by['always']) -%}
        {%- else -%}
            {%- do replaced.append((
                'select distinct ' ~ touched_by['keys'] | join(', ') ~ ' from '
                ~ touched_by['relation'] ~ ' where _applied_through > '
                ~ silver_watermark(into=arg_dict.get('into')), touched_by['keys'])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ overwrite_replacing(arg_dict, replaced, always) }}
{% endmacro %}
