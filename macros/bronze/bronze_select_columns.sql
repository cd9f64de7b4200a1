{#
    The typed columns of a bronze feed and its `_rescued_data`, by the feed's schema evolution
    mode (Auto Loader's names):
    - addNewColumns: a field not in the contract becomes a new column (JSON: varchar, as Auto
      Loader infers JSON fields as strings; Parquet: the file's type); the incremental model's
      `on_schema_change: append_new_columns` adds it to the table.
    - rescue: the columns never change; unknown fields go to `_rescued_data`.
    - failOnNewColumns: the run stops, naming the file and the field.
    - none: unknown fields are ignored (JSON feeds keep them in the raw payload).
    In every mode a value of the wrong type loads as null and its original value goes to
    `_rescued_data` (a JSON object, field -> value), so a bad value never fails a run;
    `_undecoded_fields` lists those declared columns (a silver expectation counts them).
    `schema` is the SQL expression of a Debezium line's field schemas (see
    `bronze_json_lines`); each column's `meta.encoding` is its encoding when a line has none.
    `observed` maps each field seen in this batch to the first file it was seen in, and for
    Parquet to its type. Returns a list of `expression as column` strings.
#}
{% macro bronze_select_columns(feed, observed, img=none, schema=none) %}
    {{ return(adapter.dispatch('bronze_select_columns', 'lakehouse')(feed, observed, img, schema)) }}
{% endmacro %}

{# DuckDB #}
{% macro duckdb__bronze_select_columns(feed, observed, img=none, schema=none) %}
    {% set mode = schema_evolution_mode(feed.name) %}
    {% set declared = feed.columns %}
    {% set new_fields = bronze_new_fields(feed, observed) %}
    {% set columns = [] %}
    {% set rescued = [] %}
    {% set undecoded = [] %}
    {% set staging_columns = ['path', 'no_final_newline', 'n_parts', 'raw_line', 'line_no',
        'is_json', 'file_truncated', 'j', 'is_wrapped', 'e', 'img', '_sequence', 'field_schemas',
        '_reason'] %}
    {% for name, column in declared.items() %}
        {% set t = column.data_type %}
        {% if img is not none %}
            {% set typed = bronze_typed_json(img, name, t, schema, (column.meta or {}).get('encoding')) %}
            {% do columns.append(typed ~ ' as ' ~ adapter.quote(name)) %}
            {# the checks below name the typed column (DuckDB resolves an alias of the same
               select list) rather than decode the value again, unless a staging column has
               that name #}
            {% set typed = typed if name in staging_columns else adapter.quote(name) %}
            {% if t | lower not in ('varchar', 'text', 'string') %}
                {% do rescued.append("{'k': '" ~ name ~ "', 'v': case when coalesce(json_type("
                    ~ img ~ " -> '" ~ name ~ "'), 'NULL') <> 'NULL' and " ~ typed ~ " is null then "
                    ~ img ~ " -> '" ~ name ~ "' end}") %}
                {% do undecoded.append("case when coalesce(json_type(" ~ img ~ " -> '" ~ name
                    ~ "'), 'NULL') <> 'NULL' and " ~ typed ~ " is null then '" ~ name ~ "' end") %}
            {% endif %}
        {% elif name not in observed %}
            {% do columns.append('cast(null as ' ~ t ~ ') as ' ~ adapter.quote(name)) %}
        {% elif observed[name].type | lower | replace(' ', '') == t | lower | replace(' ', '') %}
            {% do columns.append(adapter.quote(name)) %}
        {% else %}
            {% set typed = 'try_cast(' ~ adapter.quote(name) ~ ' as ' ~ t ~ ')' %}
            {% do columns.append(typed ~ ' as ' ~ adapter.quote(name)) %}
            {% do rescued.append("{'k': '" ~ name ~ "', 'v': case when " ~ adapter.quote(name)
                ~ " is not null and " ~ typed ~ " is null then to_json(" ~ adapter.quote(name)
                ~ ") end}") %}
            {% do undecoded.append("case when " ~ adapter.quote(name) ~ " is not null and " ~ typed
                ~ " is null then '" ~ name ~ "' end") %}
        {% endif %}
    {% endfor %}
    {% for field in new_fields %}
        {% if mode == 'addNewColumns' %}
            {% do columns.append(
                (img ~ " ->> '" ~ field ~ "'" if img is not none else adapter.quote(field))
                ~ ' as ' ~ adapter.quote(field)) %}
        {% elif mode == 'rescue' %}
            {% set value = img ~ " -> '" ~ field ~ "'" if img is not none
                else 'to_json(' ~ adapter.quote(field) ~ ')' %}
            {% do rescued.append("{'k': '" ~ field ~ "', 'v': " ~ value ~ "}") %}
        {% endif %}
    {% endfor %}
    {% set entries = 'list_filter([' ~ rescued | join(', ') ~ ']::struct(k varchar, v json)[], '
        ~ 'entry -> entry.v is not null)' %}
    {% do columns.append('case when len(' ~ entries ~ ') > 0 then map_from_entries('
        ~ entries ~ ')::json end as _rescued_data') %}
    {% do columns.append('list_filter([' ~ undecoded | join(', ')
        ~ ']::varchar[], name -> name is not null) as _undecoded_fields') %}
    {{ return(columns) }}
{% endmacro %}

{#
    Spark: the same columns, modes and rescue over a VARIANT row image (`img`) or the Parquet
    reader's columns; `_rescued_data` is JSON text and `_undecoded_fields` an array of strings.
    Declared types are the contract's (`bronze_spark_type` maps them to Spark's names).
#}
{% macro spark__bronze_select_columns(feed, observed, img=none, schema=none) %}
    {% set mode = schema_evolution_mode(feed.name) %}
    {% set declared = feed.columns %}
    {% set new_fields = bronze_new_fields(feed, observed) %}
    {% set columns = [] %}
    {% set rescued = [] %}
    {% set undecoded = [] %}
    {% set staging_columns = ['path', 'no_final_newline', 'n_parts', 'raw_line', 'line_no',
        'is_json', 'file_truncated', 'j', 'is_wrapped', 'e', 'img', '_sequence', 'field_schemas',
        '_reason'] %}
    {% for name, column in declared.items() %}
        {% set t = bronze_spark_type(column.data_type) %}
        {% if img is not none %}
            {% set value = "try_variant_get(" ~ img ~ ", '$." ~ name ~ "', 'variant')" %}
            {% set typed = bronze_typed_json(img, name, column.data_type, schema, (column.meta or {}).get('encoding')) %}
            {% do columns.append(typed ~ ' as ' ~ adapter.quote(name)) %}
            {# the checks name the typed column (Spark resolves a lateral alias of the same select
               list) rather than decode the value again, unless a staging column has that name #}
            {% set typed = typed if name in staging_columns else adapter.quote(name) %}
            {% if t != 'string' %}
                {% set failed = value ~ ' is not null and not is_variant_null(' ~ value ~ ') and '
                    ~ typed ~ ' is null' %}
                {% do rescued.append("named_struct('k', '" ~ name ~ "', 'v', case when " ~ failed
                    ~ " then " ~ value ~ " end)") %}
                {% do undecoded.append("case when " ~ failed ~ " then '" ~ name ~ "' end") %}
            {% endif %}
        {% elif name not in observed %}
            {% do columns.append('cast(null as ' ~ t ~ ') as ' ~ adapter.quote(name)) %}
        {% elif observed[name].type | lower | replace(' ', '') == t | replace(' ', '') %}
            {% do columns.append(adapter.quote(name)) %}
        {% else %}
            {% set typed = 'try_cast(' ~ adapter.quote(name) ~ ' as ' ~ t ~ ')' %}
            {% do columns.append(typed ~ ' as ' ~ adapter.quote(name)) %}
            {% set failed = adapter.quote(name) ~ ' is not null and ' ~ typed ~ ' is null' %}
            {% do rescued.append("named_struct('k', '" ~ name ~ "', 'v', case when " ~ failed
                ~ " then cast(" ~ adapter.quote(name) ~ " as variant) end)") %}
            {% do undecoded.append("case when " ~ failed ~ " then '" ~ name ~ "' end") %}
        {% endif %}
    {% endfor %}
    {% for field in new_fields %}
        {% if mode == 'addNewColumns' %}
            {% do columns.append(
                ("try_variant_get(" ~ img ~ ", '$." ~ field ~ "', 'string')" if img is not none
                    else adapter.quote(field))
                ~ ' as ' ~ adapter.quote(field)) %}
        {% elif mode == 'rescue' %}
            {% set value = "try_variant_get(" ~ img ~ ", '$." ~ field ~ "', 'variant')" if img is not none
                else 'cast(' ~ adapter.quote(field) ~ ' as variant)' %}
            {% do rescued.append("named_struct('k', '" ~ field ~ "', 'v', " ~ value ~ ")") %}
        {% endif %}
    {% endfor %}
    {% set entries = 'filter(array(' ~ rescued | join(', ') ~ '), entry -> entry.v is not null)'
        if rescued else "cast(array() as array<struct<k: string, v: variant>>)" %}
    {% do columns.append('case when size(' ~ entries ~ ') > 0 then to_json(map_from_entries('
        ~ entries ~ ')) end as _rescued_data') %}
    {% do columns.append('filter(array(' ~ undecoded | join(', ') ~ '), name -> name is not null)'
        ~ ' as _undecoded_fields' if undecoded
        else 'cast(array() as array<string>) as _undecoded_fields') %}
    {{ return(columns) }}
{% endmacro %}
