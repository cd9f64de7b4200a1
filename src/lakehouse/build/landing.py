"""The landing zone as the CLI sees it: the feeds' contracts, the files still pending, and
whether the attached external database has rows bronze has not read.

The feed globs come from the landing sources in models/bronze/_bronze__sources.yml, the same
declarations the bronze models use; pending = what bronze's next run takes (its discovery,
`bronze_stage_files`): files in the landing zone not yet in bronze.ingest_ledger (for that
feed), and files quarantined whole that their producer has replaced since (size or
modification time changed).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from lakehouse.config import PROJECT_DIR
from lakehouse.warehouse import attach, connect

SOURCES_YML = PROJECT_DIR / "models" / "bronze" / "_bronze__sources.yml"


def feed_metas() -> dict[str, dict]:
    """Feed name -> its contract's `meta` (path, format, required fields, Kafka topic), as the
    landing sources declare it."""
    spec = yaml.safe_load(SOURCES_YML.read_text())
    landing = next(s for s in spec["sources"] if s["name"] == "landing")
    return {t["name"]: t["config"]["meta"] for t in landing["tables"]}


def feeds() -> dict[str, tuple[str, ...]]:
    """Feed name -> its globs relative to the landing zone root: `meta.path`, and for a feed
    with a Kafka topic the files `lakehouse stream` lands from it (as `bronze_feed_globs`)."""
    return {name: (meta["path"],) + ((f"stream/{name}/*/*/*.jsonl",)
                                     if meta.get("kafka_topic") else ())
            for name, meta in feed_metas().items()}


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str,
              database: str | None = None) -> bool:
    """Whether `schema.table` exists (in `database`, else in any attached database), as a
    table or a view (a Spark warehouse's tables are views over their files)."""
    found = con.execute("select count(*) from information_schema.tables where "
                        "table_schema = ? and table_name = ? "
                        "and table_catalog = coalesce(?, table_catalog)",
                        [schema, table, database]).fetchone()
    return bool(found and found[0])


def pending_files(landing: Path, db: Path) -> dict[str, list[str]]:
    """Feed -> files bronze's next run takes: not in the ingest ledger, or quarantined whole
    there and replaced since (their size or modification time changed)."""
    ledger: dict[tuple[str, str], tuple] = {}
    if db.exists():
        con = connect(db, read_only=True)
        try:
            if has_table(con, "bronze", "ingest_ledger"):
                ledger = {(feed, path): (status, size, modified) for feed, path, status, size,
                          modified in con.execute("select feed, path, status, size_bytes, "
                                                  "modified_at from bronze.ingest_ledger").fetchall()}
        finally:
            con.close()
    listed = {feed: sorted(str(p.relative_to(landing)) for pattern in patterns
                           for p in landing.glob(pattern) if p.is_file())
              for feed, patterns in feeds().items()}
    quarantined = {(feed, f) for feed, files in listed.items() for f in files
                   if ledger.get((feed, f), ("",))[0] == "quarantined"}
    stats: dict[str, tuple] = {}
    if quarantined:
        # as bronze sees them: DuckDB's size and modification time (read_blob reads no content
        # when it is not selected), in UTC as the profile's session has it; one query for all
        con = duckdb.connect()
        try:
            con.execute("set timezone = 'UTC'")
            stats = {row[0]: (row[1], row[2]) for row in con.execute(
                "select filename, size, last_modified::timestamp from read_blob(?)",
                [sorted({str(landing / f) for _, f in quarantined})]).fetchall()}
        finally:
            con.close()
    replaced = {key for key in quarantined if stats.get(str(landing / key[1])) != ledger[key][1:]}
    return {feed: [f for f in files if (feed, f) not in ledger or (feed, f) in replaced]
            for feed, files in listed.items()}


def external_rows_pending(db: Path, external_db: Path | None) -> bool:
    """Whether the attached external database (LAKEHOUSE_EXTERNAL_DB) has rows newer than the
    newest bronze.ext_loyalty_members has read (its watermark, `updated_at`)."""
    from lakehouse.warehouse import external_attach_sql, is_spark

    attach_crm = external_attach_sql(str(external_db) if external_db else None)
    # Spark reads no external database here (its JDBC driver cannot be fetched): nothing for
    # it to take, whatever the database holds
    if attach_crm is None or is_spark(db):
        return False
    con = duckdb.connect()
    try:
        con.execute(attach_crm)
        newest = con.execute("select max(updated_at::timestamp) "
                             "from crm.loyalty_members").fetchone()[0]  # type: ignore[index]
        if newest is None:
            return False
        if not db.exists():
            return True
        attach(con, db, "warehouse", read_only=True)
        if not has_table(con, "bronze", "ext_loyalty_members", database="warehouse"):
            return True
        loaded = con.execute("select max(updated_at) from warehouse.bronze."
                             "ext_loyalty_members").fetchone()[0]  # type: ignore[index]
        return loaded is None or newest > loaded
    finally:
        con.close()
