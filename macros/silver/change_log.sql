{#
    The change log of a CDC entity in the shape `apply_changes` takes: the day-0 full extract
    (the first extract date) as each row's baseline (`_lsn` 0, `_op` 'r', changed at the extract
    date), followed by every Debezium change event loaded in bronze (changed at its source
    commit time). Source columns keep their names; bronze-only columns are left out.
#}
{% macro change_log(extracts, changes) %}
    select
        * exclude (_extract_date, _rescued_data, _run_id),
        _extract_date::timestamp as _changed_at,
        0::decimal(38, 0) as _lsn,
        'r' as _op
    from {{ extracts }}
    where _extract_date = (select min(first_extract._extract_date) from {{ extracts }} as first_extract)
    union all by name
    select
        * exclude (
            _tx_id, _source_committed_at, _before, _after, _is_wrapped, _raw, _rescued_data, _run_id
        ),
        _source_committed_at as _changed_at
    from {{ changes }}
{% endmacro %}
