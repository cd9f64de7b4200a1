"""Install the DuckDB extensions the project uses from their PyPI wheels (no network).

`INSTALL <name>` would download from extensions.duckdb.org, which is out of reach here; the
`duckdb-extension-<name>` wheels ship the signed binaries, and once installed from them by
path, `INSTALL <name>` / `LOAD <name>` (as dbt-duckdb does for `extensions:` in profiles.yml)
work offline.
"""

from __future__ import annotations

import argparse

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


def cmd_extensions(args: argparse.Namespace) -> int:
    from lakehouse import log

    log(f"DuckDB extensions installed and loading: {', '.join(install_extensions())}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extensions", help="install the DuckDB extensions from their wheels",
                       description="Install tpch, sqlite and ducklake from the "
                       "duckdb-extension-* wheels so that they load offline.")
    p.set_defaults(func=cmd_extensions)
