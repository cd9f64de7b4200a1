{#
    One row per line of each text in the CTE `texts` (`path`, `parts`: its lines,
    `no_final_newline` and `file_truncated`), with `n_parts` and the line's number from 1: DuckDB unnests with
    `generate_subscripts`, Spark uses `posexplode` in a lateral view.
#}
{% macro bronze_numbered_lines(texts) %}
    {{ return(adapter.dispatch('bronze_numbered_lines', 'lakehouse')(texts)) }}
{% endmacro %}

{% macro duckdb__bronze_numbered_lines(texts) %}
    select
        path,
        no_final_newline,
        file_truncated,
        len(parts) as n_parts,
        unnest(parts) as raw_line,
        generate_subscripts(parts, 1) as line_no
    from {{ texts }}
{% endmacro %}

{% macro default__bronze_numbered_lines(texts) %}
    select
        path,
        no_final_newline,
        file_truncated,
        size(parts) as n_parts,
        raw_line,
        pos + 1 as line_no
    from {{ texts }}
    lateral view posexplode(parts) exploded as pos, raw_line
{% endmacro %}
