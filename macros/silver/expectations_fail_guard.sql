{#
    A condition that is true when no row of `checked` (from `expectations_check`) fails an
    expectation with action `fail`, and otherwise stops the statement with DuckDB's error():
    the model is not committed, and the message names the expectations, the number of rows and
    a sample of up to five violating rows (as JSON). The guard reads `checked` a second time:
    declare it and the CTEs it reads `as not materialized`, or DuckDB first copies every row of
    the batch. On Spark
    the error is `raise_error`, with the same message.
#}
{% macro expectations_fail_guard(checked, model_name) %}
    {{ return(adapter.dispatch('expectations_fail_guard', 'lakehouse')(checked, model_name)) }}
{% endmacro %}

{% macro duckdb__expectations_fail_guard(checked, model_name) %}
    (
        select
            case
                when count(*) > 0 then error(
                    'expectation(s) ' || string_agg(distinct failed_name, ', ')
                    || ' with action fail violated by ' || count(distinct sample)
                    || ' row(s) of {{ model_name }}; sample: '
                    || to_json(list(distinct sample)[1:5])
                )
            end
        from (
            select
                unnest(_failed_by) as failed_name,
                to_json(checked_row) as sample
            from {{ checked }} as checked_row
            where len(_failed_by) > 0
        ) as failing
    ) is null
{% endmacro %}

{% macro default__expectations_fail_guard(checked, model_name) %}
    (
        select
            case
                when count(*) > 0 then raise_error(
                    'expectation(s) ' || array_join(array_sort(collect_set(failed_name)), ', ')
                    || ' with action fail violated by ' || count(distinct sample)
                    || ' row(s) of {{ model_name }}; sample: '
                    || to_json(slice(array_sort(collect_set(sample)), 1, 5))
                )
            end
        from (
            select
                explode(_failed_by) as failed_name,
                to_json(struct(checked_row.*)) as sample
            from {{ checked }} as checked_row
            where array_size(_failed_by) > 0
        ) as failing
    ) is null
{% endmacro %}
