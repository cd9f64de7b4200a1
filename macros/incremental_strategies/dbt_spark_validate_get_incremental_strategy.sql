{#
    dbt-spark accepts only its built-in incremental strategies (dbt-labs/dbt-adapters#833, whose
    workaround this is): a strategy with a `get_incremental_<strategy>_sql` macro, such as this
    project's `replace_versions`, `replace_touched_keys` and `replace_keys`, is accepted too,
    and every other one is checked by dbt-spark's own validation.
    `dbt_spark_get_incremental_sql` runs it.
#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {% if raw_strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch']
        and ('get_incremental_' ~ raw_strategy | replace('+', '_') ~ '_sql') in context %}
        {{ return(raw_strategy) }}
    {% endif %}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{% endmacro %}
