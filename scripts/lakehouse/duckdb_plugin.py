"""dbt-duckdb plugin (profiles.yml `plugins:`): the one function DuckDB has no built-in for.

`landing_file_error(path, format)` reads one landing file the way bronze reads its feed and
returns DuckDB's error message if that fails (null if the file reads). DuckDB's table functions
cannot be wrapped in `try()`, and one unreadable file makes a multi-file `read_parquet` or
`read_text` fail for the whole batch; so bronze asks this function about each new file and
quarantines the ones it names (Auto Loader's badRecordsPath) instead of failing the feed run
after run. A Parquet file is read whole (every column of every row group: corruption inside a
valid footer only shows when its pages are decoded); a JSON-lines file is read as UTF-8 text.
"""

from __future__ import annotations

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

READERS = {
    "parquet": "select sum(hash(t)) from read_parquet(?) as t",
    "text": "select length(content) from read_text(?)",
}


def landing_file_error(path: str | None, file_format: str | None) -> str | None:
    if path is None:
        return None
    reader = READERS["parquet" if file_format == "parquet" else "text"]
    con = duckdb.connect(config={"threads": 1, "memory_limit": "1GB"})
    try:
        con.execute(reader, [path]).fetchall()
    except duckdb.Error as error:
        return str(error).replace(path, "<file>")
    finally:
        con.close()
    return None


class Plugin(BasePlugin):
    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.create_function("landing_file_error", landing_file_error,
                             [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
                             duckdb.sqltype("VARCHAR"), null_handling="special",
                             side_effects=True)
