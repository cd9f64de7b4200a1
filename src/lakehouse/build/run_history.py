"""The run history (Databricks Workflows' run history, DESCRIBE HISTORY): one row per
`lakehouse run` in the warehouse's `ops.run_history`, with per-model status, timing and rows
affected from dbt's run_results.json (and each model's row count after the run, as dbt-duckdb
reports rows affected only for seeds), and the landing files the run ingested."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.build.landing import has_table
from lakehouse.dbt import DbtResult, is_failure
from lakehouse.errors import UserError
from lakehouse.warehouse import connect, is_lake, is_spark, spark_tables

DDL = """
create schema if not exists ops;
create table if not exists ops.run_history (
    run_id varchar not null,  -- unique by construction (no primary key: DuckLake has none)
    started_at timestamp,
    ended_at timestamp,
    status varchar,
    dbt_invocations varchar[],
    files_ingested bigint,
    models_ok bigint,
    models_failed bigint,
    models json,
    published boolean
);
alter table ops.run_history add column if not exists failure varchar;
alter table ops.run_history add column if not exists project_hash varchar;
alter table ops.run_history add column if not exists ml_champion integer;
alter table ops.run_history add column if not exists ml_challenger integer;
alter table ops.run_history add column if not exists cpu_seconds double;
alter table ops.run_history add column if not exists peak_rss_bytes bigint;
alter table ops.run_history add column if not exists dbt_seconds double;
create table if not exists ops.table_storage (
    run_id varchar not null,
    recorded_at timestamp,
    table_schema varchar,
    table_name varchar,
    row_count bigint,
    bytes bigint  -- on disk: the DuckDB file's blocks holding it, a DuckLake's live files
);
"""

# the schemas whose tables' storage each run records (ops.table_storage)
STORED_SCHEMAS = ("bronze", "silver", "gold")

# what a run ends as: `no_changes` is a run that found nothing to do (no new landing file, no
# new external rows, the project as the last successful build had it) and built nothing
STATUSES = ("success", "failed", "no_changes")


def _lock_file(db: Path) -> Path:
    """The file a run holds locked while it runs (beside the warehouse: `<db>.run.lock`)."""
    return db.with_name(db.name + ".run.lock")


def run_in_progress(db: Path) -> bool:
    """Whether a run of this warehouse is under way (in any process): its lock is held. A run
    that was killed holds nothing (the kernel releases a dead process's locks)."""
    path = _lock_file(db)
    if not path.exists():
        return False
    with path.open("a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
    return False


class RunRecorder:
    """A run from its start to its row in ops.run_history. While it is open it holds the
    warehouse's run lock (`run_in_progress`): what its builds committed before its row is
    written is its own, not a killed run's input (`interrupted_input`) for the next run or the
    file-arrival sensor to pick up. A second run waits for the lock."""

    def __init__(self, db: Path, target: Path, run_id: str | None = None) -> None:
        self.db = db
        db.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_file(db).open("a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"lakehouse: another run of {db} is in progress; waiting for it to end",
                  file=sys.stderr, flush=True)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.run_id = run_id or uuid.uuid4().hex[:12]  # a Dagster run keeps its own id
        self.started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.started = time.monotonic()
        self.target = target  # dbt's target directory (the manifest of the run's build)
        self.invocations: list[str] = []
        self.models: list[dict[str, Any]] = []
        self.cpu_seconds, self.peak_rss_bytes, self.dbt_seconds = 0.0, 0, 0.0
        self.failure: str | None = None  # why the run failed, when not a dbt node
        self.project_hash: str | None = None  # the project and variables the run built with
        self.ml_champion: int | None = None  # the MLflow model version gold.pred_* scored with
        self.ml_challenger: int | None = None  # and the challenger's, in the shadow scores

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def add_dbt_results(self, result: DbtResult) -> None:
        """Collect the node results of a dbt command of this run (if it wrote any)."""
        invocation = result.invocation_id
        if invocation is None or invocation in self.invocations:
            return
        self.invocations.append(invocation)
        # what the run cost: the dbt processes' CPU (user + system), peak memory, wall time
        self.cpu_seconds += result.cpu_seconds
        self.peak_rss_bytes = max(self.peak_rss_bytes, result.peak_rss_bytes)
        self.dbt_seconds += result.seconds
        for r in result.nodes:
            self.models.append({
                "node": r["unique_id"], "status": r["status"],
                "seconds": round(r["execution_time"], 3),
                "rows_affected": (r.get("adapter_response") or {}).get("rows_affected"),
                "relation": r.get("relation_name"),
                **({"message": r.get("message")} if is_failure(r) else {}),
            })

    def failures(self) -> str | None:
        """The nodes that failed (tests that gate, models), one per line with dbt's message."""
        failed = [f"{m['node']}: {m.get('message') or m['status']}" for m in self.models
                  if "message" in m]
        return "\n".join(failed) or None

    def finish(self, status: str, published: bool, failure: str | None = None) -> None:
        assert status in STATUSES, status
        # models only (the per-node statuses, tests included, are in `models`)
        models = [m for m in self.models if m["node"].startswith("model.")]
        ok = sum(m["status"] == "success" for m in models)
        failed = sum("message" in m for m in models)  # in error, or skipped for an error
        con = connect(self.db)
        try:
            con.execute(DDL)
            files = 0
            if self.invocations and has_table(con, "bronze", "ingest_ledger"):
                files = con.execute("select count(*) from bronze.ingest_ledger "
                                    "where list_contains(?, run_id)",
                                    [self.invocations]).fetchone()[0]  # type: ignore[index]
            for model in self.models:
                # dbt-duckdb reports rows affected for seeds, not for models: record the
                # model's row count after the run instead (`rows_after`)
                relation = model.pop("relation", None)
                # "database"."schema"."table" (DuckDB), `schema`.`table` (Spark)
                parts = [part.strip('"`') for part in (relation or "").split(".")]
                if len(parts) >= 2:
                    model["layer"] = parts[-2]
                if len(parts) >= 2 and model["node"].startswith(("model.", "snapshot.")):
                    with contextlib.suppress(duckdb.Error):
                        model["rows_after"] = con.execute(
                            f'select count(*) from "{parts[-2]}"."{parts[-1]}"'
                        ).fetchone()[0]  # type: ignore[index]
            con.execute("insert into ops.run_history (run_id, started_at, ended_at, status, "
                        "dbt_invocations, files_ingested, models_ok, models_failed, models, "
                        "published, failure, project_hash, ml_champion, ml_challenger, "
                        "cpu_seconds, peak_rss_bytes, dbt_seconds) "
                        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [self.run_id, self.started_at,
                         dt.datetime.now(dt.UTC).replace(tzinfo=None), status,
                         self.invocations, files, ok, failed, json.dumps(self.models),
                         published, failure, self.project_hash, self.ml_champion,
                         self.ml_challenger, round(self.cpu_seconds, 3), self.peak_rss_bytes,
                         round(self.dbt_seconds, 3)])
            if self.invocations:
                # what the run left on disk, table by table (growth: against the run before)
                con.executemany("insert into ops.table_storage values "
                                "(?, now()::timestamp, ?, ?, ?, ?)",
                                [(self.run_id, *table) for table in
                                 table_storage(con, self.db)])
        finally:
            con.close()
            self.release()  # the run is recorded: its input is no longer in flight

    def release(self) -> None:
        """Let go of the run lock (a run given up unrecorded, to be retried, releases it)."""
        self._lock.close()


def table_storage(con: duckdb.DuckDBPyConnection, db: Path) -> list[tuple[str, str, int, int]]:
    """Each table of the layers (`STORED_SCHEMAS`): schema, name, rows and bytes on disk. In a
    DuckDB file, the blocks that hold the table's data (a block holds one table's); in a
    DuckLake, the size of its live data and delete files (older versions' files, kept for time
    travel until `vacuum`, are not counted); in a Spark warehouse, its folder's files."""
    if is_spark(db):
        return [(schema, table,
                 con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0],  # type: ignore[index]
                 sum(f.stat().st_size for f in (db / "warehouse" / f"{schema}.db" / table).rglob("*")
                     if f.is_file()))
                for schema in STORED_SCHEMAS for table in spark_tables(db, schema)]
    tables = con.execute("select schema_name, table_name from duckdb_tables() "
                         "where database_name = current_database() and list_contains(?, "
                         "schema_name) order by all", [list(STORED_SCHEMAS)]).fetchall()
    if is_lake(db):
        catalog = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        sizes = dict(((schema, table), size) for schema, table, size in con.execute(
            f"select s.schema_name, t.table_name, t.file_size_bytes + t.delete_file_size_bytes "
            f"from ducklake_table_info('{catalog}') as t join "
            f"__ducklake_metadata_{catalog}.ducklake_schema as s using (schema_id) "
            f"where s.end_snapshot is null").fetchall())
    else:
        block = con.execute("select block_size from pragma_database_size() "
                            "where database_name = current_database()").fetchone()[0]  # type: ignore[index]
    found = []
    for schema, table in tables:
        rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]  # type: ignore[index]
        size = (sizes.get((schema, table), 0) if is_lake(db) else block * con.execute(
            "select count(distinct block_id) from pragma_storage_info(?) where block_id >= 0",
            [f'"{schema}"."{table}"']).fetchone()[0])  # type: ignore[index]
        found.append((schema, table, rows, size))
    return found


def mark_published(db: Path, run_id: str, published: bool = True) -> None:
    """Record whether run `run_id`'s gold is published (a step after the run was recorded)."""
    con = connect(db)
    try:
        con.execute("update ops.run_history set published = ? where run_id = ?",
                    [published, run_id])
    finally:
        con.close()


@dataclass(frozen=True)
class LastBuild:
    run_id: str
    status: str
    published: bool
    project_hash: str | None
    ml_champion: int | None = None
    ml_challenger: int | None = None


def last_build(db: Path) -> LastBuild | None:
    """The latest run that built (success or failed; a `no_changes` run built nothing)."""
    if not db.exists():
        return None
    con = connect(db, read_only=True)
    try:
        columns = {r[0] for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'ops' "
            "and table_name = 'run_history'").fetchall()}
        if "project_hash" not in columns:
            return None
        champion = "ml_champion" if "ml_champion" in columns else "null"
        challenger = "ml_challenger" if "ml_challenger" in columns else "null"
        row = con.execute(f"select run_id, status, published, project_hash, {champion}, "
                          f"{challenger} "
                          "from ops.run_history where status <> 'no_changes' "
                          "order by started_at desc limit 1").fetchone()
    finally:
        con.close()
    return LastBuild(*row) if row else None


def interrupted_input(db: Path) -> tuple[list[str], bool]:
    """What a run that never finished (killed, or the machine lost) ingested into bronze and
    no successful run applied since: the landing feeds with ledger rows, and whether the
    external table has rows, from a dbt invocation no recorded run holds, committed after the
    last successful run started. A killed run records nothing, so the next run must build
    these feeds' downstream though no file of theirs is pending."""
    if not db.exists():
        return [], False
    con = connect(db, read_only=True)
    try:
        if not has_table(con, "ops", "run_history"):
            return [], False
        unapplied = ("not in (select unnest(dbt_invocations) from ops.run_history) and {} > "
                     "(select coalesce(max(started_at), '-infinity') from ops.run_history "
                     "where status = 'success')")
        feeds = []
        if has_table(con, "bronze", "ingest_ledger"):
            feeds = [r[0] for r in con.execute(
                "select distinct feed from bronze.ingest_ledger "
                f"where run_id {unapplied.format('loaded_at')} order by feed").fetchall()]
        external = has_table(con, "bronze", "ext_loyalty_members") and bool(con.execute(
            "select count(*) from bronze.ext_loyalty_members "
            f"where _run_id {unapplied.format('_ingested_at')}").fetchone()[0])  # type: ignore[index]
        return feeds, external
    finally:
        con.close()


def print_history(db: Path, served: Path, limit: int) -> None:
    """Print the latest runs (`lakehouse history`), newest first; while a build holds the
    warehouse, from the published copy `served` (the history up to its run)."""
    query = ("select run_id, started_at, ended_at, status, files_ingested, models_ok, "
             "models_failed, published from ops.run_history order by started_at desc limit ?")
    if not db.exists() and not served.exists():
        raise UserError(f"no runs yet (no warehouse at {db}): run `lakehouse run` first")
    try:
        con = connect(db, read_only=True)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower() or not served.exists():
            raise UserError(f"cannot read the warehouse {db}: "
                            f"{str(error).splitlines()[0]}") from None
        # a build holds the warehouse: the published copy has the history up to its run
        print(f"lakehouse: a build holds the warehouse; showing the history as of the last "
              f"publish ({served})", file=sys.stderr)
        con = duckdb.connect(":memory:")
        con.execute(f"attach '{served}' as served (read_only)")
        con.execute("use served")
    try:
        if not has_table(con, "ops", "run_history"):
            raise UserError(f"no runs recorded in {db} yet: run `lakehouse run` first")
        rows = con.execute(query, [limit]).fetchall()
    finally:
        con.close()
    print("| run_id | started_at | ended_at | status | files | models ok | failed | published |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | --- |")
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
