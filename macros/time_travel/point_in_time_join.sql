{#
    The join condition of a fact to the version of an SCD2 dimension (or history model) that
    was valid at the fact's time: `dim` is the dimension's alias, `at` the fact's time (a SQL
    expression), `keys` a mapping {fact key expression: dimension key column}. Validity is
    [valid_from, valid_to); pass `from_column`/`to_column` for other column names. The open end
    is written with coalesce, not `or ... is null`: an OR in the join condition keeps DuckDB
    from hashing on the key (see the docs' Gold page for the measurement).
#}
{% macro point_in_time_join(dim, at, keys, from_column='valid_from', to_column='valid_to') %}
    {%- for fact_key, dim_key in keys.items() %}
        {{ dim }}.{{ dim_key }} = {{ fact_key }} and
    {%- endfor %}
    {{ at }} >= {{ dim }}.{{ from_column }}
    and {{ at }} < coalesce({{ dim }}.{{ to_column }}, cast('9999-12-31 00:00:00' as timestamp))
{%- endmacro %}
