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
version is the one its commit names (the commands that commit outside dbt, publish, optimize,
restore and vacuum, name the command and the run), else the run whose time span holds the
snapshot's commit time (`ops.run_history`). A version that only rewrote or merged files is an
OPTIMIZE: no rows in the history, none in the change feed. A vacuum keeps the history of the
versions it expires in `ops.expired_versions`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.build.landing import has_table
from lakehouse.errors import UserError
from lakehouse.warehouse import LAKE_CATALOG, connect, is_lake

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


# snapshot changes that move a table's rows into other files without changing them (Delta's
# `dataChange=false`: OPTIMIZE, a rewrite). DuckLake's feed reports a rewrite of files with
# deletes as an update of every row it moved; such versions add nothing to the change feed
REWRITES = ("merge_adjacent", "rewrite_delete", "compacted_table")
HISTORY_COLUMNS = ("version", "timestamp", "operation", "rows_inserted", "rows_deleted",
                   "run_id", "committed_by", "expired_at")


@dataclass(frozen=True)
class Snapshot:
    version: int
    time: dt.datetime
    changes: dict[str, list[str]]
    author: str | None
    message: str
    run_id: str | None  # the run a `lakehouse` command committed for (commit_extra_info)

    def kinds(self, table_ids: set[int]) -> set[str]:
        """What this version did to the table with these ids (DuckLake's change kinds)."""
        ids = {str(i) for i in table_ids}
        return {kind for kind, targets in self.changes.items() if ids & set(targets)}

    def is_rewrite(self, table_ids: set[int]) -> bool:
        """Whether this version only moved the table's rows between files (no data change)."""
        kinds = self.kinds(table_ids)
        return bool(kinds) and kinds <= set(REWRITES)


def snapshots(con: duckdb.DuckDBPyConnection) -> dict[int, Snapshot]:
    """The lake's kept versions (those no vacuum expired), by id."""
    found = {}
    for version, time, changes, author, message, extra in con.execute(
            f"select snapshot_id, snapshot_time at time zone 'UTC', changes, author, "
            f"commit_message, commit_extra_info from ducklake_snapshots('{LAKE_CATALOG}')"
            ).fetchall():
        run_id = json.loads(extra).get("run_id") if extra and extra.startswith("{") else None
        found[version] = Snapshot(version, time, dict(changes or {}), author, message or "",
                                  run_id)
    return found


def commit_message(con: duckdb.DuckDBPyConnection, command: str, message: str,
                   run_id: str | None = None) -> None:
    """Name the open transaction's commit (`history` shows it): the command that wrote it, what
    it did, and the run it wrote for."""
    con.execute(f"call {LAKE_CATALOG}.set_commit_message(?, ?, extra_info => ?)",
                [command, message, json.dumps({"run_id": run_id} if run_id else {})])


def _history(con: duckdb.DuckDBPyConnection, found: Table, kept: dict[int, Snapshot],
             low: int, high: int) -> list[dict[str, Any]]:
    """The table's versions between `low` and `high` (kept versions), newest first."""
    counts: dict[int, dict[str, int]] = {}
    created, dropped, ids = {}, {}, set()
    for table_id, first, ended in _incarnations(con, found):
        ids.add(table_id)
        created[first] = table_id
        if ended is not None:
            dropped[ended] = table_id
        start, last = max(first, low), min((ended - 1) if ended is not None else high, high)
        if last < start:
            continue
        # the change feed of this incarnation, read at its last version (when the name still
        # named it)
        for version, change, rows in con.execute(
                f"select snapshot_id, change_type, count(*) from "
                f"ducklake_table_changes('{LAKE_CATALOG}', ?, ?, ?, ?) group by all",
                [found.schema, found.name, start, last]).fetchall():
            counts.setdefault(version, {})[change] = rows
    rewrites = {v for v, snapshot in kept.items() if low <= v <= high and snapshot.is_rewrite(ids)}
    versions = sorted(v for v in set(counts) | set(created) | set(dropped) | rewrites
                      if low <= v <= high and v in kept)
    runs = _runs(con)
    history = []
    for version in reversed(versions):
        snapshot = kept[version]
        changed = {} if version in rewrites else counts.get(version, {})
        inserted = changed.get("insert", 0) + changed.get("update_postimage", 0)
        deleted = changed.get("delete", 0) + changed.get("update_preimage", 0)
        if snapshot.message.startswith(f"RESTORE TABLE {found} "):
            operation = "RESTORE"
        elif version in created:
            operation = "CREATE OR REPLACE TABLE" if version in dropped else "CREATE TABLE"
        elif version in dropped:
            operation = "DROP TABLE"
        elif version in rewrites:
            operation = "OPTIMIZE"  # files rewritten or merged: no row changed
        elif changed.get("update_postimage"):
            operation = "UPDATE"
        elif inserted and deleted:
            operation = "MERGE"
        else:
            operation = "WRITE" if inserted else "DELETE"
        history.append({
            "version": version,
            "timestamp": snapshot.time,
            "operation": operation,
            "rows_inserted": inserted,
            "rows_deleted": deleted,
            "run_id": snapshot.run_id or next(
                (run for run, start, end in runs if start <= snapshot.time <= end), None),
            "committed_by": snapshot.author,
            "expired_at": None,
        })
    return history


def table_history(db: Path, table: str, limit: int | None = None) -> list[dict[str, Any]]:
    """DESCRIBE HISTORY: the table's versions, newest first: version, time, operation, rows
    inserted and deleted, the `lakehouse run` that wrote it (null: another writer), the
    command that committed it when not dbt (`lakehouse publish`, `optimize`, `restore`), and
    for a version a vacuum expired, when (its row counts as they were before it expired)."""
    require_lake(db)
    con = connect(db, read_only=True)
    try:
        found = resolve(con, table)
        kept = snapshots(con)
        history = _history(con, found, kept, min(kept), max(kept))
        if has_table(con, "ops", "expired_versions", database=LAKE_CATALOG):
            columns = ", ".join(HISTORY_COLUMNS)
            history += [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in con.execute(
                f"select {columns} from ops.expired_versions where schema_name = ? and "
                "table_name = ? order by version desc", [found.schema, found.name]).fetchall()
                if row[0] not in kept]
    finally:
        con.close()
    return sorted(history, key=lambda row: row["version"], reverse=True)[:limit]


def when_expired(con: duckdb.DuckDBPyConnection, version: int) -> dt.datetime | None:
    """When a vacuum expired `version` (None: no vacuum recorded it)."""
    if not has_table(con, "ops", "expired_versions", database=LAKE_CATALOG):
        return None
    row = con.execute("select max(expired_at) from ops.expired_versions where version = ?",
                      [version]).fetchone()
    return row[0] if row else None


def expired_version_at(con: duckdb.DuckDBPyConnection, found: Table,
                       time: str) -> int | None:
    """The last version of the table committed by `time` among those a vacuum expired."""
    if not has_table(con, "ops", "expired_versions", database=LAKE_CATALOG):
        return None
    return con.execute("select max(version) from ops.expired_versions where schema_name = ? "
                       "and table_name = ? and \"timestamp\" <= ?::timestamp",
                       [found.schema, found.name, time]).fetchone()[0]  # type: ignore[index]


def check_version(con: duckdb.DuckDBPyConnection, found: Table, version: int) -> None:
    """Raise a one-line UserError unless the table can be read at `version`: it names the
    table's first version, or the oldest one kept after a vacuum."""
    kept = snapshots(con)
    latest = max(kept)
    if not 0 <= version <= latest:
        raise UserError(f"version {version} does not exist (the lake's versions are 0.."
                        f"{latest}; `lakehouse history --table {found}` lists this table's)")
    lives = _incarnations(con, found)
    first = lives[0][1]
    oldest = min(v for v in kept if v >= first) if max(kept) >= first else latest
    if version < first:
        raise UserError(f"{found} did not exist before version {first}, its first version"
                        + (f" (expired by vacuum: the oldest version kept is {oldest})"
                           if first not in kept else ""))
    if version not in kept:
        when = when_expired(con, version)
        raise UserError(f"version {version} of {found} was expired by vacuum"
                        + (f" at {when:%Y-%m-%d %H:%M:%S} UTC" if when else "")
                        + f": its data files are gone; the oldest version kept is {oldest} "
                        f"(`lakehouse history --table {found}`)")
    if not any(begin <= version and (ended is None or version < ended)
               for _, begin, ended in lives):
        raise UserError(f"{found} did not exist at version {version} (it was dropped; "
                        f"`lakehouse history --table {found}` lists its versions)")


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
        check_version(con, found, version)
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
        commit_message(con, "lakehouse restore", f"RESTORE TABLE {found} TO VERSION {version}")
        deleted = con.execute(f'delete from {found.schema}."{found.name}"').fetchone()[0]  # type: ignore[index]
        inserted = con.execute(f'insert into {found.schema}."{found.name}" by name '
                               "select * from temp.restored").fetchone()[0]  # type: ignore[index]
        con.execute("commit")
        return {"table": str(found), "restored_version": version,
                "new_version": latest_version(con), "rows_deleted": deleted,
                "rows_inserted": inserted}
    finally:
        con.close()


def changes_sql(table: Table, start: int, end: int, rewrites: list[int]) -> str:
    """The feed between two versions, without the versions that only rewrote files."""
    skip = f" where snapshot_id not in ({', '.join(map(str, rewrites))})" if rewrites else ""
    return (f"select * from ducklake_table_changes('{LAKE_CATALOG}', '{table.schema}', "
            f"'{table.name}', {int(start)}, {int(end)}){skip} "
            "order by snapshot_id, rowid, change_type")


def changes(db: Path, table: str, start: int, end: int | None = None,
            limit: int | None = None) -> tuple[list[str], list[tuple]]:
    """The change data feed: each row inserted, deleted or updated (pre- and post-image)
    between versions `start` and `end` (the latest when None), with the version that changed
    it. Within one incarnation of the table: a range across a full rebuild is refused."""
    require_lake(db)
    con = connect(db, read_only=True)
    try:
        found = resolve(con, table)
        kept = snapshots(con)
        latest = max(kept)
        end = latest if end is None else end
        if not 0 <= start <= end <= latest:
            raise UserError(f"--from {start} --to {end}: need 0 <= from <= to <= {latest} "
                            "(the latest version)")
        for version in (start, end):
            if version not in kept:  # expired by a vacuum: says so, and what is kept
                check_version(con, found, version)
        lives = _incarnations(con, found)
        for _, first, ended in lives:
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
        ids = {table_id for table_id, _, _ in lives}
        rewrites = [v for v, snapshot in kept.items()
                    if start <= v <= end and snapshot.is_rewrite(ids)]
        result = con.execute(changes_sql(found, start, end, rewrites)
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


EXPIRED_DDL = """create table if not exists ops.expired_versions (
    schema_name varchar, table_name varchar, version bigint, "timestamp" timestamp,
    operation varchar, rows_inserted bigint, rows_deleted bigint, run_id varchar,
    committed_by varchar, expired_at timestamp)"""


def _expiring_history(con: duckdb.DuckDBPyConnection, expire: list[int]) -> list[tuple]:
    """The history rows of the versions about to expire, of every table now in the lake that
    they changed (what `history` lists as expired once they are gone)."""
    kept = snapshots(con)
    ids = {str(i) for v in expire for kind, targets in kept[v].changes.items()
           if kind != "tables_created" for i in targets}
    names = {n.replace('"', "") for v in expire
             for n in kept[v].changes.get("tables_created", [])}
    tables = con.execute(
        f"select distinct s.schema_name, t.table_name from {METADATA}.ducklake_table as t "
        f"join {METADATA}.ducklake_schema as s using (schema_id) "
        "where (t.table_id::varchar in (select unnest(?)) "
        "       or s.schema_name || '.' || t.table_name in (select unnest(?))) "
        "  and (s.schema_name, t.table_name) in (select (schema_name, table_name) "
        "      from duckdb_tables() where database_name = current_database())",
        [sorted(ids), sorted(names)]).fetchall()
    rows = []
    for schema, name in tables:
        for row in _history(con, Table(schema, name), kept, min(expire), max(expire)):
            if row["version"] in expire:
                rows.append((schema, name, *(row[c] for c in HISTORY_COLUMNS[:-1])))
    return rows


def vacuum(db: Path, older_than: str, dry_run: bool = False) -> dict[str, Any]:
    """VACUUM: expire the versions older than `older_than` (never the latest one nor the one BI
    reads), then delete the data files no kept version references. The expired versions'
    history is kept (`ops.expired_versions`): `history` lists them as expired, as Delta's
    DESCRIBE HISTORY goes on listing versions whose files VACUUM deleted."""
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
            rows = _expiring_history(con, expire)
            con.execute("begin")
            commit_message(con, "lakehouse vacuum", f"VACUUM: {len(expire)} version(s) expired")
            con.execute("create schema if not exists ops")
            con.execute(EXPIRED_DDL)
            con.executemany("insert into ops.expired_versions values "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)", rows)
            con.execute(f"call ducklake_expire_snapshots('{LAKE_CATALOG}', versions => ?)",
                        [expire])
            con.execute("commit")
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
        for call in ("ducklake_merge_adjacent_files", "ducklake_rewrite_data_files"):
            con.execute("begin")
            commit_message(con, "lakehouse optimize", f"OPTIMIZE ({call})")
            con.execute(f"call {call}('{LAKE_CATALOG}')")
            con.execute("commit")
        return {"data_files_before": before, "data_files_after": _data_files(con)}
    finally:
        con.close()
