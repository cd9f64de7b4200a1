{#
    Appends to `dq_expectation_results` (the local DLT event log's data-quality metrics) the
    counts of one run of an entity's expectations: per expectation, how many of the rows its
    checked relation (`checked`, default the model's own table: a post-hook of `silver_checked`)
    checked since its last entry here (`batch_through`) passed and failed. `rows_checked` sums
    the relation's `_rows_checked` (a batch's receipt, or 1 per row checked row by row); failures
    are counted on its failing rows; rows left unchecked, such as deleted keys, are not counted.
    Every run appends a row per expectation, of nothing new too.
#}
{% macro record_expectation_results(model_name, checked=none) %}
    {%- set results = ref('dq_expectation_results') -%}
    {%- set into = {'relation': results, 'incremental': true} -%}
    {%- set watermark = silver_watermark('batch_through', "model_name = '" ~ model_name ~ "'",
                                         into=into) -%}
    {%- set expectations = expectations_of(model_name) -%}
    {%- if not expectations -%}
        {{ return('') }}
    {%- endif -%}
    insert into {{ results }}
    select * from (
    with

    batch as (
        select
            _failed_expectations,
            _rows_checked,
            _applied_through
        from {{ checked or this }}
        where _applied_through > {{ watermark }}
    ),

    expectation as (
        {% for e in expectations %}
            select
                '{{ e.name }}' as expectation_name,
                '{{ e.expression | replace("'", "''") }}' as expectation_expression,
                '{{ e.action }}' as expectation_action
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    )

    select
        '{{ invocation_id }}' as run_id,
        now()::timestamp as run_at,
        '{{ model_name }}' as model_name,
        expectation.expectation_name,
        expectation.expectation_action as action,
        expectation.expectation_expression as expression,
        coalesce(sum(batch._rows_checked), 0)::bigint as rows_checked,
        coalesce(sum(batch._rows_checked), 0)::bigint - count(batch._applied_through) filter (
            where array_contains(batch._failed_expectations, expectation.expectation_name)
        ) as passed_rows,
        count(batch._applied_through) filter (
            where array_contains(batch._failed_expectations, expectation.expectation_name)
        ) as failed_rows,
        coalesce(max(batch._applied_through), {{ watermark }}) as batch_through
    from expectation
    left join batch on true
    group by all
    ) as recorded
{% endmacro %}
