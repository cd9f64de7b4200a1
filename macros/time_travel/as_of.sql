{#
    Time travel: `relation` as it was at `timestamp` (a SQL expression, e.g.
    "timestamp '1998-08-05 12:00'" or a column of the calling query), as a parenthesized
    subquery to use in a FROM clause.
    - On a history model (`valid_from`/`valid_to`, e.g. `customers_history`): the rows as they
      were at that source time (source commit time for CDC entities, extract date for catalog
      entities); deleted keys are absent.
    - On a dbt snapshot (`dbt_valid_from`/`dbt_valid_to`): the rows as the snapshot saw them at
      that build time; hard-deleted rows are absent.
#}
{% macro as_of(relation, timestamp) %}
    {% if not execute %}{{ return('(select 1)') }}{% endif %}
    {% set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list %}
    {% if not columns %}
        {# not built yet (e.g. compiling before the first build): go by the naming convention #}
        {% set columns = ['dbt_valid_from', 'dbt_is_deleted'] if relation.identifier.endswith('_snapshot')
            else ['valid_from'] %}
    {% endif %}
    {% if 'dbt_valid_from' in columns %}
        (
            select * exclude (dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to
                {%- if 'dbt_is_deleted' in columns %}, dbt_is_deleted{% endif %})
            from {{ relation }}
            where
                dbt_valid_from <= {{ timestamp }}
                and (dbt_valid_to is null or dbt_valid_to > {{ timestamp }})
                {% if 'dbt_is_deleted' in columns %}and dbt_is_deleted <> 'True'{% endif %}
        )
    {% elif 'valid_from' in columns %}
        (
            select * exclude (valid_from, valid_to, is_current, is_deleted)
            from {{ relation }}
            where
                valid_from <= {{ timestamp }}
                and (valid_to is null or valid_to > {{ timestamp }})
                and not is_deleted
        )
    {% else %}
        {{ exceptions.raise_compiler_error(
            "as_of: " ~ relation ~ " has no validity columns (valid_from/valid_to or "
            ~ "dbt_valid_from/dbt_valid_to); use a history model or a snapshot") }}
    {% endif %}
{% endmacro %}
