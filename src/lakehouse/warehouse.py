"""The warehouse as the Python around dbt opens it, on either dbt target (`LAKEHOUSE_TARGET`):

- `dev` (the default): one DuckDB file (`LAKEHOUSE_DB`, default `data/lakehouse.duckdb`). A build
  holds it read-write, so other processes wait for the build (BI tools read the published copy);
- `lake`: a DuckLake (`LAKEHOUSE_DB`, default `data/lakehouse.ducklake`): a SQLite catalog file
  and the tables' Parquet data files in `<catalog>.files/` beside it. Every commit is a
  snapshot (a table version: history, time travel, restore, change feed), and any number of
  processes read while a build writes.

On the lake the catalog is attached as `lakehouse` (profiles.yml's `database`), so compiled SQL
and `silver.x`-style names are the same on both targets.

On the `spark` and `spark_cluster` targets the warehouse is a directory (`LAKEHOUSE_DB`, default
`data/lakehouse.spark`, or `lakehouse cluster`'s directory): Spark's tables as Parquet files
under `warehouse/<schema>.db/<table>/` and a Derby metastore. The Python reads them through
their files (a DuckDB view per table) and keeps its own records (`ops.run_history`, the
alerts' history, table storage) in a DuckDB file in that directory, `records.duckdb`:
`connect` opens both as one catalog.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from lakehouse.errors import ConfigError

TARGETS = ("dev", "lake", "spark", "spark_cluster")
SPARK_TARGETS = ("spark", "spark_cluster")
# on a Spark target, the DuckDB file of the Python's own records, in the warehouse directory
SPARK_RECORDS = "records.duckdb"
LAKE_SUFFIX = ".ducklake"
LAKE_CATALOG = "lakehouse"
# SQLite in WAL mode lets readers read while the build commits; a writer waits up to a minute
# for another writer's commit instead of failing at once. No inlining (rows and deletes of
# small commits kept in catalog tables): flushing them, like overwriting a delete file, replaces
# catalog rows that a reader of an older version may be about to read (publish.publish_lake)
LAKE_OPTIONS = "meta_journal_mode 'WAL', meta_busy_timeout 60000, data_inlining_row_limit 0"


def target() -> str:
    """The dbt target the project builds: LAKEHOUSE_TARGET, `dev` when unset."""
    name = os.environ.get("LAKEHOUSE_TARGET") or "dev"
    if name not in TARGETS:
        raise ConfigError(f"LAKEHOUSE_TARGET={name}: not one of {', '.join(TARGETS)}")
    return name


def is_lake(db: Path) -> bool:
    """Whether `db` names a DuckLake catalog (`*.ducklake`) rather than a DuckDB file."""
    return db.suffix == LAKE_SUFFIX


def is_spark(db: Path) -> bool:
    """Whether `db` names a Spark warehouse (a directory) rather than a DuckDB file or lake."""
    return db.is_dir()


def data_path(db: Path) -> Path:
    """Where a DuckLake's data files are: `<catalog>.files/` (DuckLake's own default)."""
    return db.with_name(db.name + ".files")


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def spark_tables(db: Path, schema: str) -> dict[str, str]:
    """The tables of `schema` in the Spark warehouse directory `db` that hold data files (Spark
    writes none for a table without rows): name -> a DuckDB relation over its Parquet files."""
    folder = db / "warehouse" / f"{schema}.db"
    return {path.name: f"read_parquet({sql_literal(str(path) + '/**/*.parquet')}, union_by_name = true)"
            for path in sorted(folder.iterdir() if folder.is_dir() else [])
            if path.is_dir() and any(path.rglob("*.parquet"))}


def _spark_views(con: duckdb.DuckDBPyConnection, db: Path, catalog: str,
                 records: str | None = None) -> None:
    """A view in `catalog` per table of the Spark warehouse `db` (`spark_tables`) and, when
    `records` names the attached records file, per table of it (the Python's `ops.*`)."""
    relations = {(schema, table): relation
                 for schema in sorted(p.name.removesuffix(".db")
                                      for p in (db / "warehouse").glob("*.db"))
                 for table, relation in spark_tables(db, schema).items()}
    if records is not None:
        relations |= {(schema, table): f'{records}."{schema}"."{table}"'
                      for schema, table in con.execute(
                          "select schema_name, table_name from duckdb_tables() "
                          "where database_name = ?", [records]).fetchall()}
    for (schema, table), relation in relations.items():
        con.execute(f'create schema if not exists {catalog}."{schema}"')
        con.execute(f'create or replace view {catalog}."{schema}"."{table}" as '
                    f'select * from {relation}')


def attach(con: duckdb.DuckDBPyConnection, db: Path, alias: str,
           read_only: bool = False) -> None:
    """Attach the warehouse `db` to `con` as catalog `alias`; a Spark warehouse directory as
    an in-memory catalog with a view per table, its records file's too, read-only whatever
    `read_only` says."""
    mode = ", read_only" if read_only else ""
    if is_spark(db):
        con.execute(f"attach ':memory:' as {alias}")
        records = db / SPARK_RECORDS
        if records.exists():
            con.execute(f"attach {sql_literal(str(records))} as {alias}_records (read_only)")
        _spark_views(con, db, alias, f"{alias}_records" if records.exists() else None)
    elif is_lake(db):
        # the catalog records its data path as first given: reach it by the same (real) path
        db = db.resolve()
        for extension in ("sqlite", "ducklake"):
            con.load_extension(extension)
        con.execute(f"attach {sql_literal(f'ducklake:sqlite:{db}')} as {alias} "
                    f"(data_path {sql_literal(str(data_path(db)) + '/')}, {LAKE_OPTIONS}{mode})")
    else:
        con.execute(f"attach {sql_literal(str(db))} as {alias} ({mode.removeprefix(', ')})"
                    if read_only else f"attach {sql_literal(str(db))} as {alias}")


def connect(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection whose current catalog is the warehouse: the DuckDB file itself (catalog
    named after the file), or the DuckLake attached as `lakehouse`. A Spark warehouse:
    read-write, its records file, where a view per Spark table is made afresh; read-only, an
    in-memory catalog of views over both."""
    if is_spark(db):
        if read_only:
            con = duckdb.connect()
            con.execute("set timezone = 'UTC'")
            attach(con, db, "spark")
            con.execute("use spark")
            return con
        con = duckdb.connect(str(db / SPARK_RECORDS))
        con.execute("set timezone = 'UTC'")
        con.execute("begin")  # the views of tables Spark dropped go; the others are made anew
        for schema, view in con.execute("select schema_name, view_name from duckdb_views() "
                                        "where database_name = current_database() "
                                        "and not internal").fetchall():
            con.execute(f'drop view "{schema}"."{view}"')
        _spark_views(con, db, "records")
        con.execute("commit")
        return con
    if not is_lake(db):
        return duckdb.connect(str(db), read_only=read_only)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    attach(con, db, LAKE_CATALOG, read_only)
    con.execute(f"use {LAKE_CATALOG}")
    return con


def external_attach_sql(path: str | None) -> str | None:
    """The ATTACH statement of the external database, or None when there is no such file."""
    if not path or not Path(path).is_file():
        return None
    kind = "duckdb" if path.endswith(".duckdb") else "sqlite"
    return f"attach if not exists {sql_literal(path)} as crm (type {kind}, read_only)"
