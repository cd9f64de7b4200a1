"""dbt-duckdb plugin (profiles.yml `plugins:`): what the profile's own settings cannot say.

The external database (profile setting `external_db`, from LAKEHOUSE_EXTERNAL_DB) is attached
read-only as catalog `crm` when its file exists: a SQLite file through DuckDB's sqlite
extension, a `.duckdb` file natively. The profile's `attach:` list would fail every dbt command
when the file is missing, where a missing operational database must give an empty bronze table
(like a landing feed without files); so the plugin attaches it, once per connection, and
`bronze.ext_loyalty_members` reads it when it is there.

`landing_file_error(path, format)` reads one landing file the way bronze reads its feed and
returns DuckDB's error message if that fails (null if the file reads). DuckDB's table functions
cannot be wrapped in `try()`, and one unreadable file makes a multi-file `read_parquet` or
`read_text` fail for the whole batch; so bronze asks this function about each new file and
quarantines the ones it names (Auto Loader's badRecordsPath) instead of failing the feed run
after run. A Parquet file is read whole (every column of every row group: corruption inside a
valid footer only shows when its pages are decoded); a JSON-lines file is read as UTF-8 text.
"""

from __future__ import annotations

from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from lakehouse.warehouse import external_attach_sql, sql_literal

# the path is a literal, not a prepared statement's parameter: binding a Python value makes
# DuckDB import pandas and numpy (some 2 s, once per dbt process, holding the other threads)
READERS = {
    "parquet": "select sum(hash(t)) from read_parquet({path}) as t",
    "text": "select length(content) from read_text({path})",
}


def landing_file_error(path: str | None, file_format: str | None) -> str | None:
    if path is None:
        return None
    reader = READERS["parquet" if file_format == "parquet" else "text"]
    # every core: a Parquet file is decoded whole, which at SF 10 (60 M order lines) is the
    # largest part of ingesting it
    con = duckdb.connect(config={"memory_limit": "1GB"})
    try:
        con.execute(reader.format(path=sql_literal(path))).fetchall()
    except duckdb.Error as error:
        return str(error).replace(path, "<file>")
    finally:
        con.close()
    return None


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.external_db = plugin_config.get("external_db")

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        attach = external_attach_sql(self.external_db)
        if attach:
            conn.execute(attach)
        conn.create_function("landing_file_error", landing_file_error,
                             [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
                             duckdb.sqltype("VARCHAR"), null_handling="special",
                             side_effects=True)
