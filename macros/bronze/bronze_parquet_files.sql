{#
    How a Parquet feed's batch reads its staged files (readable, not duplicates), for
    `bronze_ingest`: creates the batch's `rows` scratch relation (`path`, `num_rows` per file,
    for the ledger) and returns {'source': the FROM clause of the files' rows, 'file': the
    expression of a row's file URI, 'row': its 0-based row number, 'observed': each column seen
    -> {'type', 'file'}}. DuckDB reads the files' footers and `read_parquet` with
    `union_by_name`; Spark reads the feed's glob with schemas merged and keeps the staged files
    (`_metadata.file_path`, which a view does not pass on: a column here).
#}
{% macro bronze_parquet_files(feed, stage) %}
    {{ return(adapter.dispatch('bronze_parquet_files', 'lakehouse')(feed, stage)) }}
{% endmacro %}

{% macro duckdb__bronze_parquet_files(feed, stage) %}
    {% set rows = bronze_scratch(feed, 'rows') %}
    {% set root_len = landing_path() | length + 2 %}
    {% set files = bronze_loadable_files(stage) %}
    {% if not files %}
        {% do bronze_create_scratch(rows,
            "select null::varchar as path, null::bigint as num_rows where false") %}
        {{ return({'source': "(select null::varchar as filename, null::bigint as file_row_number)"
            ~ " as no_files where false", 'file': 'filename', 'row': 'file_row_number',
            'observed': {}}) }}
    {% endif %}
    {% do bronze_create_scratch(rows, "select substr(file_name, " ~ root_len ~ ") as path, num_rows"
        ~ " from parquet_file_metadata(" ~ sql_string_list(files) ~ ")") %}
    {% set first_file, observed = {}, {} %}
    {% for row in run_query("select name, substr(min(file_name), " ~ root_len ~ ")"
        ~ " from parquet_schema(" ~ sql_string_list(files) ~ ") group by name") %}
        {% do first_file.update({row[0]: row[1]}) %}
    {% endfor %}
    {% for row in run_query("describe select * from read_parquet("
        ~ sql_string_list(files) ~ ", union_by_name = true)") %}
        {% do observed.update({row[0]: {'type': row[1], 'file': first_file.get(row[0])}}) %}
    {% endfor %}
    {{ return({'source': "read_parquet(" ~ sql_string_list(files) ~ ", filename = true,"
        ~ " file_row_number = true, union_by_name = true)", 'file': 'filename',
        'row': 'file_row_number', 'observed': observed}) }}
{% endmacro %}

{% macro default__bronze_parquet_files(feed, stage) %}
    {% set rows = bronze_scratch(feed, 'rows') %}
    {% set files = bronze_loadable_files(stage) %}
    {% if not files %}
        {% do bronze_create_scratch(rows,
            "select cast(null as string) as path, cast(null as bigint) as num_rows where false") %}
        {{ return({'source': "(select cast(null as string) as __file_path,"
            ~ " cast(null as bigint) as __row_index) as no_files where false",
            'file': '__file_path', 'row': '__row_index', 'observed': {}}) }}
    {% endif %}
    {% set parquet = bronze_scratch(feed, 'parquet') %}
    {% do run_query("create or replace temporary view " ~ parquet ~ " as select *,"
        ~ " _metadata.file_path as __file_path, _metadata.row_index as __row_index"
        ~ " from parquet.`" ~ landing_path() ~ "/" ~ feed.meta.path ~ "`") %}
    {% set staged = parquet ~ " where __file_path in (" ~ bronze_spark_paths(files) ~ ")" %}
    {% do bronze_create_scratch(rows, "select " ~ bronze_landing_relative('__file_path')
        ~ " as path, count(*) as num_rows from " ~ staged ~ " group by 1") %}
    {% set observed = {} %}
    {% for column in adapter.get_columns_in_relation(api.Relation.create(identifier=parquet))
        if column.name not in ('__file_path', '__row_index') %}
        {% do observed.update({column.name: {'type': column.data_type, 'file': files[0]}}) %}
    {% endfor %}
    {{ return({'source': staged, 'file': '__file_path', 'row': '__row_index',
        'observed': observed}) }}
{% endmacro %}
