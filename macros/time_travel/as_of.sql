{#
    Time travel: `relation` as it was at `timestamp` (a SQL expression, e.g.
    "timestamp '1998-08-05 12:00'" or a column of the calling query), as a parenthesized
    subquery to use in a FROM clause.
    - On a history model or an SCD 2 dimension (`valid_from`/`valid_to`, e.g.
      `customers_history`, `dim_customer`): the rows as they
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
        {# gold dimensions have no is_deleted (deleted versions are not in them) #}
        {% set validity = ['valid_from', 'valid_to', 'is_current', 'is_deleted']
            | select('in', columns) | list %}
        (
            select * exclude ({{ validity | join(', ') }})
            from {{ relation }}
            where
                valid_from <= {{ timestamp }}
                and (valid_to is null or valid_to > {{ timestamp }})
                {% if 'is_deleted' in columns %}and not is_deleted{% endif %}
        )
    {% else %}
        {{ exceptions.raise_compiler_error(
            "as_of: " ~ relation ~ " has no validity columns (valid_from/valid_to or "
            ~ "dbt_valid_from/dbt_valid_to); use a history model or a snapshot") }}
    {% endif %}
{% endmacro %}
