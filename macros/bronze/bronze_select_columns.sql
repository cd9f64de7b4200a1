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
    Parquet to its type. Returns a list of `expression as column` strings. One body for DuckDB
    and Spark (JSON through the dialect's JSON shims, types by `bronze_column_type`).
#}
{% macro bronze_select_columns(feed, observed, img=none, schema=none) %}
    {% set mode = schema_evolution_mode(feed.name) %}
    {% set new_fields = bronze_new_fields(feed, observed) %}
    {% set columns = [] %}
    {% set rescued = [] %}
    {% set undecoded = [] %}
    {% set staging_columns = ['path', 'no_final_newline', 'n_parts', 'raw_line', 'line_no',
        'is_json', 'file_truncated', 'j', 'is_wrapped', 'e', 'img', '_sequence', 'field_schemas',
        '_reason', 'kafka', 'line', 'schema_text', '_envelope'] %}
    {% for name, column in feed.columns.items() %}
        {% set t = bronze_column_type(column.data_type) %}
        {% set quoted = adapter.quote(name) %}
        {% set failed = none %}
        {% if img is not none %}
            {% set value = json_get(img, '$.' ~ name) %}
            {% set typed = bronze_typed_json(img, name, column.data_type, schema, (column.meta or {}).get('encoding')) %}
            {% do columns.append(typed ~ ' as ' ~ quoted) %}
            {# the checks name the typed column (DuckDB and Spark resolve an alias of the same
               select list) rather than decode the value again, unless a staging column has
               that name #}
            {% set failed = value ~ ' is not null and not ' ~ json_is_null(value) ~ ' and '
                ~ (typed if name in staging_columns else quoted) ~ ' is null' %}
        {% elif name not in observed %}
            {% do columns.append('cast(null as ' ~ t ~ ') as ' ~ quoted) %}
        {% elif observed[name].type | lower | replace(' ', '') == t | lower | replace(' ', '') %}
            {% do columns.append(quoted) %}
        {% else %}
            {% set value = json_from_value(quoted) %}
            {% set typed = 'try_cast(' ~ quoted ~ ' as ' ~ t ~ ')' %}
            {% do columns.append(typed ~ ' as ' ~ quoted) %}
            {% set failed = quoted ~ ' is not null and ' ~ typed ~ ' is null' %}
        {% endif %}
        {% if failed is not none and t | lower not in ('varchar', 'text', 'string') %}
            {% do rescued.append((name, 'case when ' ~ failed ~ ' then ' ~ value ~ ' end')) %}
            {% do undecoded.append("case when " ~ failed ~ " then '" ~ name ~ "' end") %}
        {% endif %}
    {% endfor %}
    {% for field in new_fields %}
        {% if mode == 'addNewColumns' %}
            {% do columns.append(
                (json_text(img, '$.' ~ field) if img is not none else adapter.quote(field))
                ~ ' as ' ~ adapter.quote(field)) %}
        {% elif mode == 'rescue' %}
            {% do rescued.append((field, json_get(img, '$.' ~ field) if img is not none
                else json_from_value(adapter.quote(field)))) %}
        {% endif %}
    {% endfor %}
    {% do columns.append(bronze_rescued_data(rescued) ~ ' as _rescued_data') %}
    {% do columns.append('filter(' ~ string_array(undecoded)
        ~ ', name -> name is not null) as _undecoded_fields') %}
    {{ return(columns) }}
{% endmacro %}
