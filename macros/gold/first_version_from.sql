{#
    Gold's rule for facts older than a dimension's history: the first version of a key is
    effective from the beginning of time (1900-01-01), so a fact that predates it (a TPC-H order
    placed years before the day-0 extract) joins to that first version. Later versions are
    effective from their `valid_from`.
#}
{% macro first_version_from(key, valid_from) %}
    case
        when row_number() over (partition by {{ key }} order by {{ valid_from }}) = 1
            then cast('1900-01-01 00:00:00' as timestamp)
        else {{ valid_from }}
    end
{% endmacro %}
