{#
    Pre-hook of an incremental current-state model: removes the rows of every key whose history
    changed since the model last applied it (`silver_watermark()`), so that the model's insert
    (its live, passing current versions of those keys) leaves exactly one up-to-date row per
    live key, and none for a key that was deleted or whose new version is dropped by an
    expectation. Runs inside the model's transaction.
#}
{% macro delete_touched_keys(history, keys) %}
    {% if is_incremental() %}
        delete from {{ this }}
        where ({{ keys | join(', ') }}) in (
            select ({{ keys | join(', ') }}) from {{ history }}
            where _applied_through > {{ silver_watermark() }}
        )
    {% endif %}
{% endmacro %}
