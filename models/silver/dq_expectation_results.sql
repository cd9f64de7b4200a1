{#
    The local equivalent of the DLT event log's data-quality metrics: every run appends, per
    silver model and expectation, how many of the rows it applied this run passed and failed.
    Each model's batch is the rows checked since that model's last entry here (`batch_through`):
    `rows_checked` sums the checked model's `_rows_checked` (its receipts, or 1 per row of a
    model checked row by row), failures are counted on its failing rows, and rows left
    unchecked, such as deleted keys, are not counted.
    dbt takes a model's dependencies from its refs while parsing, before the graph exists, so
    the checked models are listed here; the build fails if a silver model declares expectations
    that this list does not read (`expectations_without_results`). The CTEs are generated per
    model by Jinja loops, which sqlfluff's indentation rule cannot follow, hence the noqa.
#}
-- noqa: disable=LT02
{{ config(materialized='incremental', incremental_strategy='append') }}

{%- set checked_models = {
    'customers': ref('customers_checked'),
    'orders': ref('orders_checked'),
    'order_lines': ref('order_lines_checked'),
    'parts': ref('parts_checked'),
    'suppliers': ref('suppliers_checked'),
    'part_suppliers': ref('part_suppliers_checked'),
    'web_events': ref('web_events_checked'),
} %}
{%- set unread = expectations_without_results(checked_models.keys()) %}
{%- if unread %}
    {{ exceptions.raise_compiler_error(
        "dq_expectation_results does not read the expectations of " ~ unread | join(', ')
        ~ ": add their checked models to its list") }}
{%- endif %}

with

{% for model_name, checked in checked_models.items() %}
    {% set watermark = silver_watermark('batch_through', "model_name = '" ~ model_name ~ "'") %}
    {{ model_name }}_batch as (
        select
            _failed_expectations,
            _rows_checked,
            _applied_through
        from {{ checked }}
        where _applied_through > {{ watermark }}
    ),

    {{ model_name }}_results as (
        select
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
        from (
            {% for e in expectations_of(model_name) %}
                select
                    '{{ e.name }}' as expectation_name,
                    '{{ e.expression | replace("'", "''") }}' as expectation_expression,
                    '{{ e.action }}' as expectation_action
                {% if not loop.last %}union all{% endif %}
            {% else %}
                select
                    null as expectation_name,
                    null as expectation_expression,
                    null as expectation_action
                where false
            {% endfor %}
        ) as expectation
        left join {{ model_name }}_batch as batch on true
        group by all
    ),

{% endfor %}

results as (
    {% for model_name in checked_models %}
        select * from {{ model_name }}_results
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    '{{ invocation_id }}' as run_id,
    now()::timestamp as run_at,
    *
from results
