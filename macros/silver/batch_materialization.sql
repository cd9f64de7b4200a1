{#
    How a CTE holding a silver model's batch (the rows since its watermark), read more than once,
    is evaluated: `materialized` in an increment, where the batch is small and copying it once
    is cheaper than scanning its source again; `not materialized` in a first build, where the
    batch is the whole source and scanning it again is cheaper than copying it. Spark takes no
    hint (`materialization_hint`). `into` as in `silver_watermark`.
#}
{% macro batch_materialization(into=none) -%}
    {{ materialization_hint('materialized' if (into.incremental if into else is_incremental())
                            else 'not materialized') }}
{%- endmacro %}
