"""Install the DuckDB extensions the project uses from their PyPI wheels (no network).

`INSTALL <name>` would download from extensions.duckdb.org, which is out of reach here; the
`duckdb-extension-<name>` wheels ship the signed binaries, and once installed from them by
path, `INSTALL <name>` / `LOAD <name>` (as dbt-duckdb does for `extensions:` in profiles.yml)
work offline.
"""

from __future__ import annotations

import duckdb
from duckdb_extensions import import_extension

EXTENSIONS = ("tpch", "sqlite", "ducklake")


def install_extensions() -> list[str]:
    con = duckdb.connect()
    for name in EXTENSIONS:
        import_extension(name, con=con)
        con.load_extension(name)
    loaded = con.execute(
        "select extension_name from duckdb_extensions() where loaded order by 1"
    ).fetchall()
    con.close()
    return [row[0] for row in loaded]
