"""The landing zone as the CLI sees it: the feeds' contracts and the files still pending.

The feed globs come from the landing sources in models/bronze/_bronze__sources.yml, the same
declarations the bronze models use; pending = files in the landing zone not yet in
bronze.ingest_ledger (for that feed).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from .config import PROJECT_DIR

SOURCES_YML = PROJECT_DIR / "models" / "bronze" / "_bronze__sources.yml"


def feeds() -> dict[str, str]:
    """Feed name -> glob relative to the landing zone root."""
    spec = yaml.safe_load(SOURCES_YML.read_text())
    landing = next(s for s in spec["sources"] if s["name"] == "landing")
    return {t["name"]: t["meta"]["path"] for t in landing["tables"]}


def pending_files(landing: Path, db: Path) -> dict[str, list[str]]:
    """Feed -> files present in the landing zone but not in the ingest ledger."""
    seen: set[tuple[str, str]] = set()
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        try:
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'bronze' and table_name = 'ingest_ledger'"
            ).fetchone()
            if exists and exists[0]:
                seen = set(con.execute("select feed, path from bronze.ingest_ledger").fetchall())
        finally:
            con.close()
    pending: dict[str, list[str]] = {}
    for feed, pattern in feeds().items():
        files = sorted(str(p.relative_to(landing)) for p in landing.glob(pattern) if p.is_file())
        pending[feed] = [f for f in files if (feed, f) not in seen]
    return pending
