{#
    Surrogate key of one version of an SCD2 dimension row: an md5 of the entity name, the
    natural key and the version's valid_from, through dbt's cross-database hash, concat and
    safe_cast, so it is stable across rebuilds and engines.
#}
{% macro version_key(entity, natural_key, valid_from) %}
    {{ dbt.hash(dbt.concat(["'" ~ entity ~ "|'", natural_key, "'|'",
                            dbt.safe_cast(valid_from, api.Column.translate_type("string"))])) }}
{% endmacro %}
