"""Time travel (`lakehouse time-travel`): in source time, a history model, SCD 2 dimension or
snapshot as it was at a time, through the `as_of` macro (waits while a build holds a DuckDB
warehouse); in build time, on the `lake` target, any table as a version or a build time left
it (`at_version`, `at_build_time`: Delta's VERSION / TIMESTAMP AS OF)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

from lakehouse.dbt import Dbt
from lakehouse.errors import UserError
from lakehouse.warehouse import connect, is_lake


def wait_for_warehouse(db: Path, timeout: float = 600) -> None:
    """Return when the warehouse can be read (a build holds a DuckDB file read-write while it
    runs; a DuckLake is read during builds)."""
    if not db.exists():
        raise UserError(f"no warehouse at {db} yet: run `lakehouse run` first")
    if is_lake(db):
        return
    deadline, said = time.monotonic() + timeout, False
    while True:
        try:
            duckdb.connect(str(db), read_only=True).close()
            return
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise UserError(f"cannot read the warehouse {db}: {str(error).splitlines()[0]}"
                                ) from None
            if not said:
                print("lakehouse: the warehouse is in use by a build; waiting for it...",
                      file=sys.stderr, flush=True)
                said = True
            time.sleep(1)


def time_travel(db: Path, table: str, as_of: str, where: str | None = None, limit: int = 50,
                as_json: bool = False) -> int:
    """Print `table` as of `as_of` (dbt show); returns dbt's exit status."""
    wait_for_warehouse(db)
    con = connect(db, read_only=True)
    try:
        tables = dict(con.execute(
            "select table_name, max(column_name) filter (column_name in "
            "('valid_from', 'dbt_valid_from')) from duckdb_columns() "
            "where schema_name in ('silver', 'gold') group by 1 "
            "having bool_or(column_name in ('valid_from', 'dbt_valid_from'))").fetchall())
        if table not in tables:
            raise UserError(f"'{table}' has no versions to travel in; tables with "
                            f"history: {', '.join(sorted(tables))}")
        schema = con.execute("select schema_name from duckdb_tables() where table_name = ?",
                             [table]).fetchone()[0]  # type: ignore[index]
        try:
            first, before = con.execute(
                f'select min({tables[table]}), ?::timestamp < min({tables[table]}) '
                f'from {schema}."{table}"', [as_of]).fetchone()  # type: ignore[misc]
        except duckdb.ConversionException:
            raise UserError(f"--as-of '{as_of}' is not a timestamp (e.g. "
                            "'1998-08-05 12:00')") from None
    finally:
        con.close()
    if before:
        raise UserError(f"--as-of {as_of} is before the first version of {table} "
                        f"({first}): nothing existed yet; try a time on or after it")
    as_of = as_of.replace("'", "''")
    query = (f"select * from {{{{ as_of(ref('{table}'), \"timestamp '{as_of}'\") }}}} as t"
             + (f" where {where}" if where else "") + " order by all")
    return Dbt().run("show", "--inline", query, "--limit", str(limit), "--quiet",
                     *(["--output", "json"] if as_json else []), check=False).returncode


def time_travel_build(db: Path, table: str, version: int | None = None,
                      as_of_build: str | None = None, where: str | None = None, limit: int = 50,
                      as_json: bool = False) -> int:
    """Print `table` (any table of the lake) as version `version`, or the last version committed
    by `as_of_build`, left it (dbt show); returns dbt's exit status."""
    from lakehouse.lake.versions import check_version, expired_version_at, require_lake, resolve, snapshots

    require_lake(db)
    con = connect(db, read_only=True)
    try:
        found = resolve(con, table)
        if as_of_build is not None:
            kept = snapshots(con)
            oldest = kept[min(kept)]
            try:
                before = con.execute("select ?::timestamp < ?", [as_of_build, oldest.time]
                                     ).fetchone()[0]  # type: ignore[index]
            except duckdb.ConversionException:
                raise UserError(f"--as-of-build '{as_of_build}' is not a timestamp (e.g. "
                                "'2026-12-02 21:00', UTC)") from None
            if before:
                raise UserError(f"--as-of-build {as_of_build} is before the lake's "
                                + (f"first version ({oldest.time} UTC)" if oldest.version == 0
                                   else f"oldest version kept ({oldest.version}, "
                                        f"{oldest.time} UTC): older ones were expired by "
                                        "vacuum"))
            at_build = con.execute("select max(snapshot_id) from ducklake_snapshots("
                                   "'lakehouse') where snapshot_time at time zone 'UTC' <= ?",
                                   [as_of_build]).fetchone()[0]  # type: ignore[index]
            # the table as of that time may have been written by a version since expired
            written = expired_version_at(con, found, as_of_build)
            if written is not None and written > at_build:
                at_build = written
        check_version(con, found, version if version is not None else at_build)
    finally:
        con.close()
    relation = (f"api.Relation.create(database=target.database, schema='{found.schema}', "
                f"identifier='{found.name}')")
    if version is not None:
        source = f"{{{{ at_version({relation}, {int(version)}) }}}}"
    else:
        stamp = str(as_of_build).replace("'", "''")
        source = f"{{{{ at_build_time({relation}, \"timestamp '{stamp}'\") }}}}"
    query = (f"select * from {source}" + (f" where {where}" if where else "")
             + " order by all")
    return Dbt().run("show", "--inline", query, "--limit", str(limit), "--quiet",
                     *(["--output", "json"] if as_json else []), check=False).returncode
