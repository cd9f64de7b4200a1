"""Publishing gold to BI tools: a read-only serving copy, swapped in atomically, PII masked.

After a successful build, gold is copied into a new DuckDB file and a new Parquet directory
under `LAKEHOUSE_SERVING`, with every column tagged `meta: {pii: true}` in the dbt project masked
by its `pii_policy` (hash: md5 of the value; redact: '***'), then swapped in by renaming:
`lakehouse.duckdb` is replaced with os.replace and `parquet` is a symlink replaced the same way. A
reader sees the previous or the new complete gold, never a mix, and a reader holding the old
file open keeps reading it (the old inode) without blocking anything. The serving copy holds
only gold, the masking policy (`governance.column_masks`) and operational tables
(`ops.run_history`, `ops.dq_latest`, `ops.freshness`), never bronze or silver.
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

KEEP_VERSIONS = 3
# not gold.duckdb: a catalog named like its schema makes `gold.x` ambiguous for readers
SERVING_DB = "lakehouse.duckdb"


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
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'warehouse' "
            "and schema_name = 'gold' order by 1").fetchall()]
        con.execute("create schema gold")
        for table in tables:
            columns = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where database_name = 'warehouse' "
                "and schema_name = 'gold' and table_name = ? order by column_index",
                [table]).fetchall()]
            select = ", ".join(_mask(c, masks[(table, c)]) if (table, c) in masks else f'"{c}"'
                               for c in columns)
            con.execute(f'create table gold."{table}" as select {select} '
                        f'from warehouse.gold."{table}"')
        con.execute("create schema governance")
        con.execute("create table governance.column_masks (table_name varchar, "
                    "column_name varchar, policy varchar)")
        con.executemany("insert into governance.column_masks values (?, ?, ?)",
                        [(t, c, p) for (t, c), p in sorted(masks.items())])
        con.execute("create schema ops")
        for name, sql in {
            "run_history": "select * from warehouse.ops.run_history",
            "dq_latest": """select * from warehouse.silver.dq_expectation_results
                            qualify run_at = max(run_at) over (partition by model_name)""",
            "freshness": """select max(loaded_at) as last_file_loaded_at, count(*) as files_loaded
                            from warehouse.bronze.ingest_ledger""",
            # paths only (no data), so the dashboard can count landing files still pending
            "ingested_files": "select feed, path from warehouse.bronze.ingest_ledger",
        }.items():
            with contextlib.suppress(duckdb.CatalogException):  # not built yet (first run)
                con.execute(f"create table ops.{name} as {sql}")
        con.execute("create table ops.published as select ? as run_id, now()::timestamp "
                    "as published_at", [run_id])
        con.execute("detach warehouse")
        version_parquet.mkdir()
        for table in tables:
            con.execute(f"copy gold.\"{table}\" to '{version_parquet / table}.parquet' "
                        "(format parquet)")
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


def _prune(serving: Path) -> None:
    """Remove all but the newest Parquet versions (readers of older ones have had their turn)."""
    current = os.readlink(serving / "parquet")
    versions = sorted((p for p in serving.glob("parquet-*") if p.is_dir()),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    for old in versions[KEEP_VERSIONS:]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
