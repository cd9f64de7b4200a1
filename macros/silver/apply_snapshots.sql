{#
    AUTO CDC FROM SNAPSHOT (SCD type 2) over full extracts: every version of every key, with
    `valid_from`/`valid_to` the extract dates. `snapshots` is a relation (CTE) with the key
    columns, the row's attributes, `_extract_date`, `_ingested_at`, `_source_file` and
    `_source_line`; each extract is a complete picture of the table on its date.
    Each extract, in date order, is compared with the state before it: a key whose values
    changed starts a version; a key missing from an extract starts a version with `is_deleted`
    holding its last values (and a key that comes back starts a new version). Incremental runs
    take only extracts ingested since the last run; keys whose values are the same in every new
    extract are set aside by a hash comparison first, so only the keys that change are windowed
    and rewritten. Use with the incremental strategy `replace_keys` on the key.
#}
{% macro apply_snapshots(snapshots, keys) %}
    {%- set key_list = keys | join(', ') -%}
    {%- set technical = ['_extract_date', '_ingested_at', '_source_file', '_source_line'] -%}
    {%- set history_columns = ['valid_from', 'valid_to', 'is_current', 'is_deleted',
                               '_source_file', '_source_line', '_ingested_at', '_applied_through'] -%}
    with
    new_rows as (
        select
            {{ key_list }},
            _extract_date,
            _ingested_at,
            _source_file,
            _source_line,
            {{ struct_of_columns_except(keys + technical) }} as _row
        from {{ snapshots }}
        {% if is_incremental() %}
            where _ingested_at > {{ silver_watermark() }}
        {% endif %}
    ),

    new_dates as (
        select distinct _extract_date from new_rows
    ),

    {% if is_incremental() %}
        known as (
            select
                {{ key_list }},
                valid_from as _at,
                is_deleted,
                is_current,
                _ingested_at,
                _source_file,
                _source_line,
                {{ struct_of_columns_except(keys + history_columns) }} as _row
            from {{ this }}
        ),
    {% endif %}

    {% if is_incremental() %}
        current_state as (
            select
                {{ key_list }},
                {{ hash_of(['_row']) }} as _row_hash
            from known
            where is_current and not is_deleted
        ),

        changed_rows as (
            -- new rows that are not their key's current values (new and returning keys too)
            select {% for key in keys %}new_rows.{{ key }}{{ ", " if not loop.last }}{% endfor %}
            from new_rows
            anti join current_state
                on {% for key in keys %}current_state.{{ key }} = new_rows.{{ key }} and {% endfor %}
                {{ hash_of(['new_rows._row']) }} = current_state._row_hash
        ),

        missing_rows as (
            -- live keys absent from one of the new extracts: deleted there
            select {% for key in keys %}current_state.{{ key }}{{ ", " if not loop.last }}{% endfor %}
            from current_state
            cross join new_dates
            anti join new_rows
                on {% for key in keys %}new_rows.{{ key }} = current_state.{{ key }} and {% endfor %}
                new_rows._extract_date = new_dates._extract_date
        ),
    {% endif %}

    involved_keys as (
        {% if is_incremental() %}
            -- a key present with its current values in every new extract has nothing to do
            select {{ key_list }} from changed_rows
            union
            select {{ key_list }} from missing_rows
        {% else %}
            select {{ key_list }} from new_rows
        {% endif %}
    ),

    observed as (
        select
            {% for key in keys %}k.{{ key }},{% endfor %}
            cast(d._extract_date as timestamp) as _at,
            r._row is null as is_deleted,
            r._ingested_at,
            r._source_file,
            r._source_line,
            r._row,
            true as _is_new
        from (select distinct {{ key_list }} from involved_keys) as k
        cross join new_dates as d
        left join new_rows as r
            on {% for key in keys %}r.{{ key }} = k.{{ key }} and {% endfor %}
            r._extract_date = d._extract_date
    ),

    observations as (
        select * from observed
        {% if is_incremental() %}
            union all
            select
                {{ key_list }}, _at, is_deleted, _ingested_at, _source_file, _source_line, _row,
                false as _is_new
            from known
            semi join involved_keys using ({{ key_list }})
        {% endif %}
    ),

    filled as (
        select
            {{ star_except(['_row']) }},
            coalesce(_row, {{ last_value_ignore_nulls('_row') }} over (
                partition by {{ key_list }} order by _at, _is_new
                rows between unbounded preceding and current row
            )) as _row
        from observations
    ),

    changed as (
        select * from filled
        where _row is not null
        qualify lag({{ hash_of(['_row', 'is_deleted']) }}) over (partition by {{ key_list }} order by _at, _is_new)
            is distinct from {{ hash_of(['_row', 'is_deleted']) }}
    ),

    changed_keys as (
        select distinct {{ key_list }} from changed where _is_new
    )

    select
        {{ key_list }},
        _row.*,
        _at as valid_from,
        lead(_at) over (partition by {{ key_list }} order by _at) as valid_to,
        lead(_at) over (partition by {{ key_list }} order by _at) is null as is_current,
        is_deleted,
        _source_file,
        _source_line,
        _ingested_at,
        (select max(_ingested_at) from new_rows) as _applied_through
    from changed
    semi join changed_keys using ({{ key_list }})
{% endmacro %}
