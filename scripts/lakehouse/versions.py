"""Delta Lake's table versions on the `lake` target (a DuckLake: every commit is a snapshot):

| Databricks (Delta) | here |
| --- | --- |
| `DESCRIBE HISTORY t` | `lakehouse history --table t`: `table_history()` |
| `VERSION AS OF n`, `TIMESTAMP AS OF ts` | `lakehouse time-travel --table t --version n`, `--as-of-build` |
| `RESTORE TABLE t TO VERSION AS OF n` | `lakehouse restore --table t --version n`: `restore()` |
| `table_changes('t', n, m)` (change data feed) | `lakehouse changes --table t --from n --to m`: `changes()` |
| `VACUUM` | `lakehouse vacuum --older-than 7d`: `vacuum()` |
| `OPTIMIZE` | `lakehouse optimize`: `optimize()` |

A version is a DuckLake snapshot id: one per commit, shared by every table (a table's versions
are the snapshots that changed it). dbt's `table` materialization replaces a table (a new
DuckLake table under the same name, in one commit); a table's history follows its name across
such replacements, as Delta's does across `CREATE OR REPLACE`. The `lakehouse run` that wrote a
version is the run whose time span holds the snapshot's commit time (`ops.run_history`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from .errors import UserError
from .landing import has_table
from .warehouse import LAKE_CATALOG, connect, is_lake

METADATA = f"__ducklake_metadata_{LAKE_CATALOG}"
SCHEMAS = ("gold", "silver", "bronze", "ops")
# tables whose restore would break exactly-once ingestion: bronze holds what the ingest ledger
# says was loaded; restoring one without the other loses files or loads them twice
NOT_RESTORABLE = ("bronze",)


def require_lake(db: Path) -> None:
    if not is_lake(db):
        raise UserError(f"table versions need the lake target (LAKEHOUSE_TARGET=lake, a DuckLake "
                        f"warehouse); {db} is a DuckDB file, which keeps no table versions "
                        "(see the README, \"The lake target\")")
    if not db.exists():
        raise UserError(f"no lake at {db} yet: run `lakehouse run` first")


@dataclass(frozen=True)
class Table:
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def resolve(con: duckdb.DuckDBPyConnection, table: str) -> Table:
    """`schema.table`, or a table name looked up in gold, silver, bronze, ops, as the lake holds
    it now or held it at any version."""
    schema, _, name = table.rpartition(".")
    rows = con.execute(
        f"select distinct s.schema_name from {METADATA}.ducklake_table as t "
        f"join {METADATA}.ducklake_schema as s using (schema_id) "
        "where t.table_name = ? and (? = '' or s.schema_name = ?)",
        [name, schema, schema]).fetchall()
    found = sorted((r[0] for r in rows), key=lambda s: SCHEMAS.index(s) if s in SCHEMAS else 9)
    if not found:
        raise UserError(f"no table {table} in the lake, now or at any version")
    return Table(found[0], name)


def latest_version(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"select max(snapshot_id) from ducklake_snapshots('{LAKE_CATALOG}')"
                       ).fetchone()[0]  # type: ignore[index]


def _incarnations(con: duckdb.DuckDBPyConnection, table: Table) -> list[tuple[int, int, int | None]]:
    """(table id, first version, version it ended or None) of each DuckLake table that held the
    name, oldest first."""
    return con.execute(
        f"select t.table_id, min(t.begin_snapshot), "
        f"  case when count(*) = count(t.end_snapshot) then max(t.end_snapshot) end "
        f"from {METADATA}.ducklake_table as t join {METADATA}.ducklake_schema as s using (schema_id) "
        "where s.schema_name = ? and t.table_name = ? group by t.table_id order by 2",
        [table.schema, table.name]).fetchall()


def table_history(db: Path, table: str, limit: int | None = None) -> list[dict[str, Any]]:
    """DESCRIBE HISTORY: the table's versions, newest first: version, time, operation, rows
    inserted and deleted, and the `lakehouse run` that wrote it (null: another writer)."""
    require_lake(db)
    con = connect(db, read_only=True)
    try:
        found = resolve(con, table)
        latest = latest_version(con)
        counts: dict[int, dict[str, int]] = {}
        created, dropped = {}, {}
        for table_id, first, ended in _incarnations(con, found):
            created[first] = table_id
            if ended is not None:
                dropped[ended] = table_id
            last = (ended - 1) if ended is not None else latest
            if last < first:
                continue
            # the change feed of this incarnation, read at its last version (when the name
            # still named it)
            for version, change, rows in con.execute(
                    f"select snapshot_id, change_type, count(*) from "
                    f"ducklake_table_changes('{LAKE_CATALOG}', ?, ?, ?, ?) group by all",
                    [found.schema, found.name, first, last]).fetchall():
                counts.setdefault(version, {})[change] = rows
        versions = sorted(set(counts) | set(created) | set(dropped), reverse=True)
        times, messages = {}, {}
        for version, time, message in con.execute(
                f"select snapshot_id, snapshot_time at time zone 'UTC', commit_message "
                f"from ducklake_snapshots('{LAKE_CATALOG}')").fetchall():
            times[version], messages[version] = time, message or ""
        runs = _runs(con)
    finally:
        con.close()
    history = []
    for version in versions[:limit]:
        changed = counts.get(version, {})
        inserted = changed.get("insert", 0) + changed.get("update_postimage", 0)
        deleted = changed.get("delete", 0) + changed.get("update_preimage", 0)
        if messages[version].startswith(f"RESTORE TABLE {found} "):
            operation = "RESTORE"
        elif version in created:
            operation = "CREATE OR REPLACE TABLE" if version in dropped else "CREATE TABLE"
        elif version in dropped:
            operation = "DROP TABLE"
        elif changed.get("update_postimage"):
            operation = "UPDATE"
        elif inserted and deleted:
            operation = "MERGE"
        else:
            operation = "WRITE" if inserted else "DELETE"
        history.append({
            "version": version,
            "timestamp": times[version],
            "operation": operation,
            "rows_inserted": inserted,
            "rows_deleted": deleted,
            "run_id": next((run for run, start, end in runs
                            if start <= times[version] <= end), None),
        })
    return history


def _runs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dt.datetime, dt.datetime]]:
    if not has_table(con, "ops", "run_history", database=LAKE_CATALOG):
        return []
    return con.execute("select run_id, started_at, ended_at from ops.run_history "
                       "where status <> 'no_changes'").fetchall()


def restore(db: Path, table: str, version: int, force: bool = False) -> dict[str, Any]:
    """RESTORE TABLE ... TO VERSION AS OF: the table's rows as they were at `version`, written
    as a new version (delete and insert in one transaction; the history is kept). Refused for
    bronze tables unless `force`."""
    require_lake(db)
    con = connect(db)
    try:
        found = resolve(con, table)
        if found.schema in NOT_RESTORABLE and not force:
            raise UserError(
                f"{found} is a bronze table: its rows and the ingest ledger "
                "(bronze.ingest_ledger) say together which landing files were loaded, so "
                "restoring it alone would lose files or load them twice (exactly-once "
                "ingestion). Restore silver or gold and let the next run re-apply bronze, or "
                "pass --force (and restore bronze.ingest_ledger to the same version)")
        latest = latest_version(con)
        if not 0 <= version <= latest:
            raise UserError(f"version {version} does not exist (the lake's versions are 0.."
                            f"{latest}; `lakehouse history --table {found}` lists this table's)")
        at = f'{found.schema}."{found.name}" at (version => {int(version)})'
        try:
            then = [r[0] for r in con.execute(f"describe select * from {at}").fetchall()]
        except duckdb.Error as error:
            raise UserError(f"{found} did not exist at version {version}: "
                            f"{str(error).splitlines()[0]}") from None
        now = [r[0] for r in con.execute(
            f'describe select * from {found.schema}."{found.name}"').fetchall()]
        if sorted(then) != sorted(now):
            raise UserError(f"{found} has other columns now than at version {version} "
                            f"(then: {', '.join(then)}; now: {', '.join(now)}): a restore "
                            "cannot keep the table's current schema")
        # the old version is staged outside the lake first: inside the transaction that
        # deletes the rows, DuckLake 1.5.5 applies that delete to an `at (version => n)` scan
        # too (the restore would insert nothing)
        con.execute(f"create temp table restored as select * from {at}")
        con.execute("begin")
        # the version's operation in `history` (DuckLake keeps a message per commit)
        con.execute(f"call {LAKE_CATALOG}.set_commit_message('lakehouse restore', ?)",
                    [f"RESTORE TABLE {found} TO VERSION {version}"])
        deleted = con.execute(f'delete from {found.schema}."{found.name}"').fetchone()[0]  # type: ignore[index]
        inserted = con.execute(f'insert into {found.schema}."{found.name}" by name '
                               "select * from temp.restored").fetchone()[0]  # type: ignore[index]
        con.execute("commit")
        return {"table": str(found), "restored_version": version,
                "new_version": latest_version(con), "rows_deleted": deleted,
                "rows_inserted": inserted}
    finally:
        con.close()


def changes_sql(table: Table, start: int, end: int) -> str:
    return (f"select * from ducklake_table_changes('{LAKE_CATALOG}', '{table.schema}', "
            f"'{table.name}', {int(start)}, {int(end)}) order by snapshot_id, rowid, change_type")


def changes(db: Path, table: str, start: int, end: int | None = None,
            limit: int | None = None) -> tuple[list[str], list[tuple]]:
    """The change data feed: each row inserted, deleted or updated (pre- and post-image)
    between versions `start` and `end` (the latest when None), with the version that changed
    it. Within one incarnation of the table: a range across a full rebuild is refused."""
    require_lake(db)
    con = connect(db, read_only=True)
    try:
        found = resolve(con, table)
        latest = latest_version(con)
        end = latest if end is None else end
        if not 0 <= start <= end <= latest:
            raise UserError(f"--from {start} --to {end}: need 0 <= from <= to <= {latest} "
                            "(the latest version)")
        for _, first, ended in _incarnations(con, found):
            last = (ended - 1) if ended is not None else latest
            if first <= end <= last and start < first:
                raise UserError(
                    f"{found} was replaced at version {first} (a full rebuild: dbt's table "
                    f"materialization, or --full-refresh), so its change feed starts there; "
                    f"use --from {first}, or compare `time-travel --version` outputs")
            if first <= end <= last:
                break
        else:
            raise UserError(f"{found} did not exist at version {end}")
        result = con.execute(changes_sql(found, start, end)
                             + (f" limit {int(limit)}" if limit and limit > 0 else ""))
        columns = [d[0] for d in result.description]
        return columns, result.fetchall()
    finally:
        con.close()


INTERVAL = re.compile(r"^\s*(\d+)\s*(d|h|m|s|days?|hours?|minutes?|seconds?)\s*$")


def parse_interval(text: str) -> str:
    """'7d', '12h', '30m', '90s' (or '7 days') as a DuckDB interval literal."""
    match = INTERVAL.match(text)
    if not match:
        raise UserError(f"--older-than {text!r}: give a number of days, hours, minutes or "
                        "seconds, e.g. 7d, 12h, 30m, 90s")
    unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[match.group(2)[0]]
    return f"interval '{int(match.group(1))} {unit}'"


def published_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The version BI reads (`published.*` views), recorded by the last publish."""
    if not has_table(con, "published", "version", database=LAKE_CATALOG):
        return None
    row = con.execute("select snapshot_id from published.version").fetchone()
    return row[0] if row else None


def vacuum(db: Path, older_than: str, dry_run: bool = False) -> dict[str, Any]:
    """VACUUM: expire the versions older than `older_than` (never the latest one nor the one BI
    reads), then delete the data files no kept version references."""
    require_lake(db)
    con = connect(db)
    try:
        keep = {latest_version(con), published_version(con)}
        expire = [r[0] for r in con.execute(
            f"select snapshot_id from ducklake_snapshots('{LAKE_CATALOG}') "
            f"where snapshot_time < now() - {parse_interval(older_than)} order by 1").fetchall()
            if r[0] not in keep]
        files = 0
        if expire and not dry_run:
            con.execute(f"call ducklake_expire_snapshots('{LAKE_CATALOG}', versions => ?)",
                        [expire])
        if not dry_run:
            files = len(con.execute(f"call ducklake_cleanup_old_files('{LAKE_CATALOG}', "
                                    "cleanup_all => true)").fetchall())
        return {"versions_expired": expire, "files_deleted": files, "dry_run": dry_run}
    finally:
        con.close()


def _data_files(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"select count(*) from {METADATA}.ducklake_data_file "
                       "where end_snapshot is null").fetchone()[0]  # type: ignore[index]


def optimize(db: Path) -> dict[str, Any]:
    """OPTIMIZE: compact each table's small files into larger ones and rewrite files with many
    deleted rows; time travel and the change feed are unaffected (the merged files keep
    which version wrote each row)."""
    require_lake(db)
    con = connect(db)
    try:
        before = _data_files(con)
        con.execute(f"call ducklake_merge_adjacent_files('{LAKE_CATALOG}')")
        con.execute(f"call ducklake_rewrite_data_files('{LAKE_CATALOG}')")
        return {"data_files_before": before, "data_files_after": _data_files(con)}
    finally:
        con.close()
