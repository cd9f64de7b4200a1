{#
    The change log of a CDC entity in the shape `apply_changes` takes: the day-0 full extract
    (the first extract date) as each row's baseline (`_lsn` 0, `_op` 'r', changed at the extract
    date), followed by every Debezium change event loaded in bronze (changed at its source
    commit time). `extracts` and `changes` are the bronze relations; a table with no extract
    (`extracts` none: its baseline is Debezium's snapshot, `op` 'r', in the change events) is
    its change events alone. Source columns keep their names; bronze-only columns are left out.
#}
{% macro change_log(extracts, changes) %}
    {%- set extract_only = ['_extract_date', '_rescued_data', '_run_id'] -%}
    {%- set change_only = ['_tx_id', '_source_committed_at', '_before', '_after', '_is_wrapped', '_raw',
        '_rescued_data', '_run_id', '_kafka_topic', '_kafka_partition', '_kafka_offset', '_kafka_timestamp',
        '_kafka_key'] -%}
    {%- set baseline -%}
        select
            {{ star_except(extract_only) }},
            cast(_extract_date as timestamp) as _changed_at,
            cast(0 as decimal(38, 0)) as _lsn,
            'r' as _op
        from {{ extracts }}
        where _extract_date = (select min(first_extract._extract_date) from {{ extracts }} as first_extract)
    {%- endset -%}
    {%- set events -%}
        select
            {{ star_except(change_only) }},
            _source_committed_at as _changed_at
        from {{ changes }}
    {%- endset -%}
    {%- if extracts is none -%}
        {{ return(events) }}
    {%- endif -%}
    {%- set baseline_columns, event_columns = [], [] -%}
    {%- if execute and target.type != 'duckdb' -%}
        {# the columns of each branch, for engines that union by position #}
        {%- for column in adapter.get_columns_in_relation(extracts)
            if column.name not in extract_only -%}
            {%- do baseline_columns.append(column.name) -%}
        {%- endfor -%}
        {%- do baseline_columns.extend(['_changed_at', '_lsn', '_op']) -%}
        {%- for column in adapter.get_columns_in_relation(changes) if column.name not in change_only -%}
            {%- do event_columns.append(column.name) -%}
        {%- endfor -%}
        {%- do event_columns.append('_changed_at') -%}
    {%- endif -%}
    {{ union_all_by_name([
        {'sql': baseline, 'columns': baseline_columns},
        {'sql': events, 'columns': event_columns},
    ]) }}
{% endmacro %}
