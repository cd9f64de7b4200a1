"""Publishing gold to BI tools: a read-only serving copy, swapped in atomically, PII masked.

After a successful build, gold is copied into a new DuckDB file and a new Parquet directory
under `LAKEHOUSE_SERVING`, with every column tagged `meta: {pii: true}` in the dbt project masked
by its `pii_policy` (hash: md5 of the value; redact: '***'), then swapped in by renaming:
`lakehouse.duckdb` is replaced with os.replace and `parquet` is a symlink replaced the same way. A
reader sees the previous or the new complete gold, never a mix, and a reader holding the old
file open keeps reading it (the old inode) without blocking anything. The serving copy holds
only gold, with the warehouse's table and column descriptions (DuckDB comments; in the Parquet
files' key-value metadata), the masking policy (`governance.column_masks`) and operational
tables (`ops.run_history`, `ops.dq_latest`, `ops.freshness`, `ops.alert_history`,
`ops.incidents`, `ops.table_storage`), never bronze or silver.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.warehouse import LAKE_CATALOG, attach, connect, sql_literal

KEEP_VERSIONS = 3
# not gold.duckdb: a catalog named like its schema makes `gold.x` ambiguous for readers
SERVING_DB = "lakehouse.duckdb"
# What a BI connection may do: read what it attached, nothing else on the machine. Read-only
# stops writes, not DuckDB's own file access: on a read-only connection a SQL user can still
# `read_csv('/etc/passwd')`, `COPY gold.x TO '/tmp/...'` or ATTACH any file. With external
# access off every file outside what is attached (or allowed) is refused, and the lock keeps
# the SQL user from turning it back on. Every documented way to connect sets both (README,
# "Serving gold to BI tools"); the dashboard, the notebook and training read through
# `connect_serving`.
LOCKED_DOWN = {"enable_external_access": False, "lock_configuration": True}


def lock_down(con: duckdb.DuckDBPyConnection, allowed_directories: tuple[str, ...] = (),
              allowed_paths: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    """Turn off `con`'s access to files but the ones allowed (a DuckLake's data files) and what
    it has attached, for good (`LOCKED_DOWN`)."""
    if allowed_directories:
        con.execute("set allowed_directories = ?", [list(allowed_directories)])
    if allowed_paths:
        con.execute("set allowed_paths = ?", [list(allowed_paths)])
    for name, value in LOCKED_DOWN.items():
        con.execute(f"set {name} = {str(value).lower()}")
    return con


def connect_serving(path: Path) -> duckdb.DuckDBPyConnection:
    """A BI reader's connection to the serving copy at `path`: attached read-only in a new
    in-memory database (`duckdb.connect(path)` would hand back an instance this process has
    open on a file a publish has since replaced), locked down, `use`d."""
    con = duckdb.connect()
    con.execute(f"attach {sql_literal(str(path))} as serving (read_only)")
    con.execute("use serving")
    return lock_down(con)


def pii_columns(manifest: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(gold table, column) -> masking policy, from the columns' meta in the dbt manifest."""
    masks = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "gold":
            continue
        for name, column in node["columns"].items():
            meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
            if meta.get("pii"):
                masks[(node["name"], name)] = meta.get("pii_policy", "hash")
    return masks


# For each model, the latest run that checked rows (a run with nothing new checks none and is
# not "the latest quality"), its expectations' counts, the rows each quarantined, and the
# lakehouse run (ops.run_history.run_id) that dbt invocation belonged to.
DQ_LATEST = """
with checked as (
    select model_name, arg_max(run_id, run_at) as dbt_invocation_id
    from (select model_name, run_id, max(run_at) as run_at, sum(rows_checked) as rows
          from warehouse.silver.dq_expectation_results group by all)
    where rows > 0
    group by model_name
),
quarantined as ({quarantined})
select
    history.run_id,
    results.model_name,
    results.expectation_name,
    results.action,
    results.rows_checked,
    results.failed_rows,
    coalesce(quarantined.rows, 0) as quarantined_rows,
    results.run_at as checked_at,
    results.run_id as dbt_invocation_id
from warehouse.silver.dq_expectation_results as results
inner join checked
    on results.model_name = checked.model_name and results.run_id = checked.dbt_invocation_id
left join warehouse.ops.run_history as history
    on list_contains(history.dbt_invocations, results.run_id)
left join quarantined
    on quarantined.model_name = results.model_name and quarantined.run_id = results.run_id
    and quarantined.expectation_name = results.expectation_name
"""


def _quarantined_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Rows quarantined per model, dbt invocation and expectation, over every quarantine table."""
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'warehouse' "
        "and table_schema = 'silver' and table_name like 'quarantine\\_%' escape '\\'").fetchall()]
    parts = [f"select '{t.removeprefix('quarantine_')}' as model_name, run_id, "
             f"expectation_name, count(*) as rows from (select _run_id as run_id, "
             f"unnest(_failed_expectations) as expectation_name "
             f"from warehouse.silver.\"{t}\") group by all" for t in tables]
    return " union all ".join(parts) or ("select null as model_name, null as run_id, "
                                         "null as expectation_name, 0 as rows where false")


def _copy_comments(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """The warehouse's comments (dbt's persist_docs) on a gold table and its columns, onto the
    served table; returns them for the Parquet file's metadata."""
    comments = {}
    row = con.execute("select comment from duckdb_tables() where database_name = 'warehouse' "
                      "and schema_name = 'gold' and table_name = ?", [table]).fetchone()
    if row and row[0]:
        con.execute(f"comment on table gold.\"{table}\" is {sql_literal(row[0])}")
        comments[""] = row[0]
    for column, comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = 'warehouse' "
            "and schema_name = 'gold' and table_name = ? and comment is not null",
            [table]).fetchall():
        con.execute(f"comment on column gold.\"{table}\".\"{column}\" is {sql_literal(comment)}")
        comments[column] = comment
    return comments


def _mask(column: str, policy: str) -> str:
    quoted = f'"{column}"'
    if policy == "redact":
        return f"case when {quoted} is null then null else '***' end as {quoted}"
    return f"md5(cast({quoted} as varchar)) as {quoted}"


def publish(warehouse: Path, serving: Path, manifest_path: Path, run_id: str | None = None,
            masks: dict[str, str] | None = None) -> Path:
    """Copy gold (masked) into a new serving version and swap it in; returns the new file.
    `masks` ("gold.<table>.<column>" -> policy) come from the column lineage
    (`lineage.masked_columns`: tagged columns and untagged ones derived from PII); without
    them, the tags in the manifest."""
    run_id = run_id or uuid.uuid4().hex[:12]
    serving.mkdir(parents=True, exist_ok=True)
    masks = ({tuple(column.split(".")[1:]): policy for column, policy in masks.items()}
             if masks is not None else pii_columns(json.loads(manifest_path.read_text())))
    version_db = serving / f"gold-{run_id}.duckdb"
    version_parquet = serving / f"parquet-{run_id}"
    con = duckdb.connect(str(version_db))
    try:
        attach(con, warehouse, "warehouse", read_only=True)
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'warehouse' "
            "and table_schema = 'gold' order by 1").fetchall()]
        con.execute("create schema gold")
        comments: dict[str, dict[str, str]] = {}
        for table in tables:
            columns = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where database_name = 'warehouse' "
                "and schema_name = 'gold' and table_name = ? order by column_index",
                [table]).fetchall()]
            select = ", ".join(_mask(c, masks[(table, c)]) if (table, c) in masks else f'"{c}"'
                               for c in columns)
            con.execute(f'create table gold."{table}" as select {select} '
                        f'from warehouse.gold."{table}"')
            comments[table] = _copy_comments(con, table)
        con.execute("create schema governance")
        con.execute("create table governance.column_masks (table_name varchar, "
                    "column_name varchar, policy varchar)")
        if masks:  # (executemany refuses no rows)
            con.executemany("insert into governance.column_masks values (?, ?, ?)",
                            [(t, c, p) for (t, c), p in sorted(masks.items())])
        con.execute("create schema ops")
        for name, sql in {
            "run_history": "select * from warehouse.ops.run_history",
            "dq_latest": DQ_LATEST.format(quarantined=_quarantined_sql(con)),
            "freshness": """select max(loaded_at) as last_file_loaded_at, count(*) as files_loaded
                            from warehouse.bronze.ingest_ledger""",
            # paths only (no data), so the dashboard can count landing files still pending
            "ingested_files": "select feed, path from warehouse.bronze.ingest_ledger",
            # the alerts' evaluations and incidents (lakehouse.ops), up to the run before
            # this publish's own evaluation, which follows it
            "alert_history": "select * from warehouse.ops.alert_history",
            "incidents": "select * from warehouse.ops.incidents",
            "table_storage": "select * from warehouse.ops.table_storage",
        }.items():
            with contextlib.suppress(duckdb.CatalogException):  # not built yet (first run)
                con.execute(f"create table ops.{name} as {sql}")
        con.execute("create table ops.published as select ? as run_id, now()::timestamp "
                    "as published_at", [run_id])
        con.execute("detach warehouse")
        version_parquet.mkdir()
        for table in tables:
            # descriptions travel as the file's key-value metadata: `description` (the
            # table's) and `column_descriptions` (JSON: column -> description)
            described = comments.get(table, {})
            metadata = {"description": described.get("", ""),
                        "column_descriptions": json.dumps(
                            {c: d for c, d in described.items() if c})}
            kv = ", ".join(f"{k}: {sql_literal(v)}" for k, v in metadata.items())
            con.execute(f"copy gold.\"{table}\" to '{version_parquet / table}.parquet' "
                        f"(format parquet, kv_metadata {{{kv}}})")
        con.execute("checkpoint")
    finally:
        con.close()
    # the swap: one rename each, readers see the old or the new version
    os.replace(version_db, serving / SERVING_DB)
    link = serving / f".parquet-{run_id}.link"
    link.symlink_to(version_parquet.name)
    os.replace(link, serving / "parquet")
    _prune(serving)
    return serving / SERVING_DB


def publish_lake(lake: Path, run_id: str, masks: dict[str, str] | None = None) -> int:
    """On the `lake` target, BI reads the lake itself: views `published.<table>` over each gold
    table at the version this run left (`AT (VERSION => n)`), masked as the serving copy is,
    created in one commit with `published.version` (the version, the run). A reader of
    `published.*` sees one successful run's gold in every table, never a build in progress,
    without a copy. Returns the version published."""
    from lakehouse.lake.versions import commit_message, latest_version

    masks = {tuple(column.split(".")[1:]): policy for column, policy in (masks or {}).items()}
    con = connect(lake)
    try:
        # gold's data files without delete files at the published version: the next run's
        # deletes then write new delete files rather than overwrite these. DuckLake 1.5.5
        # replaces an overwritten delete file's catalog row (and back-dates the new one), and a
        # reader whose metadata read falls between its snapshot and that commit saw neither: the
        # table at the pinned version without its deletes (seen in test_lake.py under load).
        # Each rewrite is a version that changes no row: `history` shows it as OPTIMIZE by
        # this publish, and the change feed leaves it out
        for (table,) in con.execute(
                "select table_name from duckdb_tables() where database_name = "
                "current_database() and schema_name = 'gold'").fetchall():
            con.execute("begin")
            commit_message(con, "lakehouse publish", f"OPTIMIZE gold.{table} (files with "
                           "deletes rewritten before publishing)", run_id=run_id)
            con.execute(f"call ducklake_rewrite_data_files('{LAKE_CATALOG}', '{table}', "
                        "schema => 'gold', delete_threshold => 0)")
            con.execute("commit")
        version = latest_version(con)
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
                "select table_name, column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = 'gold' order by table_name, column_index"
                ).fetchall():
            columns.setdefault(table, []).append(column)
        con.execute("begin")
        con.execute("create schema if not exists published")
        for (stale,) in con.execute(
                "select view_name from duckdb_views() where database_name = current_database() "
                "and schema_name = 'published'").fetchall():
            if stale not in columns:
                con.execute(f'drop view published."{stale}"')
        for table, names in columns.items():
            select = ", ".join(_mask(c, masks[(table, c)]) if (table, c) in masks else f'"{c}"'
                               for c in names)
            con.execute(f'create or replace view published."{table}" as select {select} '
                        f'from gold."{table}" at (version => {version})')
        con.execute("create or replace table published.version as select ?::bigint as "
                    "snapshot_id, ? as run_id, now()::timestamp as published_at",
                    [version, run_id])
        con.execute("commit")
    finally:
        con.close()
    return version


def _prune(serving: Path) -> None:
    """Remove all but the newest Parquet versions (readers of older ones have had their turn)."""
    current = os.readlink(serving / "parquet")
    versions = sorted((p for p in serving.glob("parquet-*") if p.is_dir()),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    for old in versions[KEEP_VERSIONS:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
