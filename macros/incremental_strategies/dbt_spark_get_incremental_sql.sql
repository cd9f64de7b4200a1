{#
    The SQL of dbt-spark's incremental materialization for a strategy: dbt-spark's own for its
    built-in strategies, and for any other the strategy's `get_incremental_<strategy>_sql`
    macro, called as dbt-core's materialization calls it (see
    `dbt_spark_validate_get_incremental_strategy`), on the increment written once to a scratch
    table `<target>__increment`: the strategies read it more than once, and Spark plans dbt's
    temporary view (the model's whole query) again at every read, CTEs inlined.
#}
{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {% if strategy in ['append', 'merge', 'insert_overwrite', 'microbatch'] %}
        {{ return(dbt.dbt_spark_get_incremental_sql(
            strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {% endif %}
    {% set strategy_sql = adapter.get_incremental_strategy_macro(context, strategy) %}
    {% set increment = target.incorporate(path={'identifier': target.identifier ~ '__increment'}) %}
    {% do run_query('drop table if exists ' ~ increment) %}
    {% do run_query('create table ' ~ increment ~ ' using parquet as select * from ' ~ source) %}
    {% set sql = strategy_sql({
        'target_relation': target,
        'temp_relation': increment,
        'unique_key': unique_key,
        'dest_columns': adapter.get_columns_in_relation(target),
        'incremental_predicates': incremental_predicates,
    }) %}
    {% do run_query('drop table ' ~ increment) %}
    {{ return(sql) }}
{% endmacro %}
