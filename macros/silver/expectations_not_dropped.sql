{#
    A condition on the rows of `applied` (as in `expectations_failed`): true when no `drop`
    expectation keeps the row out, i.e. no row of `failed` (from `expectations_failed`) for the
    same keys (the model's `unique_key`) has a non-empty `_dropped_by`. Written as `not in` an
    uncorrelated subquery, which DuckDB plans as one anti join against the few failed rows; a
    correlated `not exists` made it collect and group every applied row first. The keys of
    `failed` are never
    null (it joins them by equality), so `not in` cannot meet a null.
#}
{% macro expectations_not_dropped(applied, failed) %}
    {%- set keys = config.get('unique_key') -%}
    {%- set keys = [keys] if keys is string else keys -%}
    not {{ keys_in(keys, failed, where=array_size('_dropped_by') ~ ' > 0') }}
{% endmacro %}
