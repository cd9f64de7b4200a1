"""The benchmark's baseline: the pipeline as hand-written plain DuckDB SQL, in one process.

`sql/{bronze,silver,gold}.sql` (beside this module) take the landing files not loaded yet through the
same bronze -> silver -> gold work as the dbt project, to the same gold tables, with no dbt and
no Jinja: the practical lower bound for the engine on this machine. One call is one batch (the
first call on an empty database is the full build, later calls are increments). Statements
commit one by one (faster than one transaction per run at SF 1). At SF 10 the baseline runs out
of an 8 GB memory limit in silver however it commits (see docs/benchmarks.md). A run that failed
or was killed part-way leaves its batch without `completed_at`, and the next run stops with an
error saying to rebuild the baseline database.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from ..config import PROJECT_DIR

SCRIPTS = Path(__file__).with_name("sql")
LAYERS = ("bronze", "silver", "gold")


def run_baseline(db: Path, landing: Path, memory_limit: str = "8GB", threads: int = 2) -> dict:
    """Run the three scripts on `db` for the files in `landing`; seconds per layer."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), config={"memory_limit": memory_limit, "threads": threads,
                                          "preserve_insertion_order": False})
    try:
        con.execute("set timezone = 'UTC'")
        con.execute("set variable landing = ?", [str(landing.resolve())])
        con.execute("set variable seeds = ?", [str(PROJECT_DIR / "seeds")])
        seconds: dict[str, float] = {}
        for layer in LAYERS:
            started = time.perf_counter()
            # statement by statement: each binds after the ones before it ran (variables)
            for statement in con.extract_statements((SCRIPTS / f"{layer}.sql").read_text()):
                con.execute(statement)
            seconds[layer] = time.perf_counter() - started
        con.execute("update bronze.batches set completed_at = now()::timestamp "
                    "where batch = getvariable('batch')")
        batch = con.execute("select getvariable('batch')").fetchone()[0]  # type: ignore[index]
        return {"batch": batch, "seconds": seconds}
    finally:
        con.close()
