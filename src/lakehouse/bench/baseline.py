"""The benchmark's baseline: the pipeline as hand-written plain DuckDB SQL, in one process.

`sql/{bronze,silver,gold}.sql` (beside this module) take the landing files not loaded yet through the
same bronze -> silver -> gold work as the dbt project, to the same gold tables, with no dbt and
no Jinja: the practical lower bound for the engine on this machine. One call is one batch (the
first call on an empty database is the full build, later calls are increments). Statements
commit one by one (faster than one transaction per run at SF 1). The full build of the largest
histories runs in key ranges, as a DuckDB user would write it when the windows over every
version do not fit in memory (at SF 10 in one statement they ran out of an 8 GB limit): a
statement that reads `getvariable('key_range')` runs once per range, `key_ranges` of them, one
per `ROWS_PER_KEY_RANGE` order lines of the day-0 extract (one on increments). A run that failed
or was killed part-way leaves its batch without `completed_at`, and the next run stops with an
error saying to rebuild the baseline database.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import duckdb

from lakehouse.config import PROJECT_DIR

SCRIPTS = Path(__file__).with_name("sql")
LAYERS = ("bronze", "silver", "gold")
ROWS_PER_KEY_RANGE = 15_000_000
# the table a statement writes (comments before it skipped): its seconds are that table's, so
# the bench can set a model of ours beside the statements that build the same table; a
# temporary table (no schema) is a step of the next schema table written after it
WRITES = re.compile(r"^(?:\s|--[^\n]*\n)*(?:create\s+(?:or\s+replace\s+)?(?:temp\s+|temporary\s+)?"
                    r"table\s+(?:if\s+not\s+exists\s+)?|insert\s+into\s+|delete\s+from\s+|update\s+)"
                    r"([\w.]+)", re.IGNORECASE)


def run_baseline(db: Path, landing: Path, memory_limit: str = "8GB", threads: int = 2,
                 key_ranges: int | None = None) -> dict:
    """Run the three scripts on `db` for the files in `landing`: seconds per layer, and per
    table written (`schema.table`: the statements that create, insert into, delete from or
    update it, and the temporary tables computed for it). The full build's key ranges are
    `key_ranges`, or one per ROWS_PER_KEY_RANGE day-0 order lines."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), config={"memory_limit": memory_limit, "threads": threads,
                                          "preserve_insertion_order": False})
    try:
        con.execute("set timezone = 'UTC'")
        con.execute("set variable landing = ?", [str(landing.resolve())])
        con.execute("set variable seeds = ?", [str(PROJECT_DIR / "seeds")])
        seconds: dict[str, float] = {}
        tables: dict[str, float] = {}
        steps = 0.0  # seconds of temporary tables, not yet given to the table they feed
        for layer in LAYERS:
            started = time.perf_counter()
            if layer == "silver":
                ranges = _key_ranges(con, key_ranges)
                con.execute("set variable key_ranges = ?", [ranges])
            # statement by statement: each binds after the ones before it ran (variables)
            for statement in con.extract_statements((SCRIPTS / f"{layer}.sql").read_text()):
                statement_started = time.perf_counter()
                if "getvariable('key_range')" not in statement.query:
                    con.execute(statement)
                else:
                    for key_range in range(ranges):
                        con.execute("set variable key_range = ?", [key_range])
                        con.execute(statement)
                elapsed = time.perf_counter() - statement_started
                if written := WRITES.match(statement.query):
                    table = written.group(1).lower()
                    if "." not in table:
                        steps += elapsed
                        continue
                    tables[table] = tables.get(table, 0.0) + elapsed + steps
                    steps = 0.0
            seconds[layer] = time.perf_counter() - started
        con.execute("update bronze.batches set completed_at = now()::timestamp "
                    "where batch = getvariable('batch')")
        batch = con.execute("select getvariable('batch')").fetchone()[0]  # type: ignore[index]
        return {"batch": batch, "seconds": seconds, "tables": tables}
    finally:
        con.close()


def _key_ranges(con: duckdb.DuckDBPyConnection, requested: int | None) -> int:
    """Key ranges for this batch's silver: one on increments, else `requested` or one per
    ROWS_PER_KEY_RANGE order lines loaded in bronze."""
    batch, lines = con.execute("select getvariable('batch'), (select count(*) from "
                               "bronze.full_lineitem)").fetchone()  # type: ignore[misc]
    if batch > 1:
        return 1
    return requested or max(1, math.ceil(lines / ROWS_PER_KEY_RANGE))
