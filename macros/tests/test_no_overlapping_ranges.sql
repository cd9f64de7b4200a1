{#
    Generic test: the validity ranges [from_column, to_column) of each key do not overlap (an
    open end, null, runs forever), so a point-in-time join finds at most one version.
#}
{% test no_overlapping_ranges(model, key, from_column, to_column) %}
    select
        earlier.{{ key }},
        earlier.{{ from_column }} as earlier_from,
        later.{{ from_column }} as later_from
    from {{ model }} as earlier
    inner join {{ model }} as later
        on
            earlier.{{ key }} = later.{{ key }}
            and earlier.{{ from_column }} < later.{{ from_column }}
            and later.{{ from_column }}
            < coalesce(earlier.{{ to_column }}, cast('9999-12-31 00:00:00' as timestamp))
{% endtest %}
