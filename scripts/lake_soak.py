"""Soak check of the `lake` target's catalog (issue 34, item 4; duckdb/ducklake#1404 reports a
DuckLake catalog corrupted by concurrent view and table creation from one dbt process).

`--rounds` times: a new lake, then day 0 (the full build) and `--days` increments, each a
`lakehouse run` as a user runs it. After every build:
- the catalog is consistent: it attaches; every table and view of every schema reads; no two
  current tables or views share a name in a schema; no current table or view lies in a dropped
  schema; no table statistics row names a view (the corruption of duckdb/ducklake#322); every
  data and delete file of a current table exists on disk;
- gold equals a DuckDB-file warehouse built from the same landing zone, day by day
  (`compare_gold`: every column but technical ones, as multisets).

    .venv/bin/python scripts/lake_soak.py --rounds 5 --days 3 [--threads 1] [--out DIR]

Prints one line per build and a summary; exits 1 at the first inconsistency. Not part of the
test command (it takes about twenty builds); its last result is in the README ("The lake
target").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lakehouse.bench.pipeline import compare_gold
from lakehouse.config import PROJECT_DIR
from lakehouse.sources.generator import deliver, generate
from lakehouse.warehouse import connect

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
META = "__ducklake_metadata_lakehouse"


def run(root: Path, target: str, generated: Path, threads: int) -> float:
    db = root / ("warehouse.ducklake" if target == "lake" else "warehouse.duckdb")
    env = {**os.environ, "LAKEHOUSE_TARGET": target, "LAKEHOUSE_DB": str(db),
           "LAKEHOUSE_LANDING": str(root / "landing"), "LAKEHOUSE_GENERATED": str(generated),
           "LAKEHOUSE_SERVING": str(root / "serving"), "DBT_TARGET_PATH": str(root / "target"),
           "LAKEHOUSE_THREADS": str(threads), "MLFLOW_TRACKING_URI": f"sqlite:///{root}/ml.db"}
    started = time.monotonic()
    result = subprocess.run([str(LAKEHOUSE), "run", "--no-docs"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"lake_soak: {target} build failed in {root}:\n"
                         f"{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return time.monotonic() - started


def catalog_problems(lake: Path) -> list[str]:
    """What is inconsistent in the lake's catalog (empty: nothing)."""
    problems = []
    con = connect(lake, read_only=True)
    try:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = "
            "'lakehouse' union all select schema_name, view_name from duckdb_views() where "
            "database_name = 'lakehouse' and not internal").fetchall()
        for schema, name in relations:
            try:
                con.execute(f'select count(*) from lakehouse."{schema}"."{name}"').fetchall()
            except Exception as error:  # every failure is a finding
                problems.append(f"{schema}.{name} does not read: {str(error).splitlines()[0]}")
        checks = {
            "current tables and views sharing a name": f"""
                select s.schema_name || '.' || r.name from (
                    select schema_id, table_name as name from {META}.ducklake_table
                    where end_snapshot is null
                    union all
                    select schema_id, view_name from {META}.ducklake_view
                    where end_snapshot is null) as r
                join {META}.ducklake_schema as s using (schema_id)
                where s.end_snapshot is null group by all having count(*) > 1""",
            "current tables or views in a dropped or missing schema": f"""
                select r.name from (
                    select schema_id, table_name as name from {META}.ducklake_table
                    where end_snapshot is null
                    union all
                    select schema_id, view_name from {META}.ducklake_view
                    where end_snapshot is null) as r
                where r.schema_id not in (select schema_id from {META}.ducklake_schema
                                          where end_snapshot is null)""",
            "table statistics naming a view": f"""
                select table_id::varchar from {META}.ducklake_table_stats
                where table_id in (select view_id from {META}.ducklake_view)""",
        }
        for what, sql in checks.items():
            found = [r[0] for r in con.execute(sql).fetchall()]
            if found:
                problems.append(f"{what}: {', '.join(found[:5])}")
        # a file's path is relative to its table's, which is relative to its schema's
        files = [r[0] for r in con.execute(f"""
            select s.path || t.path || f.path from (
                select table_id, path from {META}.ducklake_data_file where end_snapshot is null
                union all
                select table_id, path from {META}.ducklake_delete_file
                where end_snapshot is null) as f
            join (select distinct table_id, schema_id, path from {META}.ducklake_table) as t
                using (table_id)
            join (select distinct schema_id, path from {META}.ducklake_schema) as s
                using (schema_id)""").fetchall()]
        data_path = Path(str(lake) + ".files")
        missing = [f for f in files if not (data_path / f).exists()]
        if missing:
            problems.append(f"{len(missing)} data or delete file(s) of current tables missing: "
                            f"{missing[:3]}")
    finally:
        con.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--sf", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=2, help="LAKEHOUSE_THREADS (default 2)")
    parser.add_argument("--out", type=Path, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="lake-soak-"))
    generated = out / "generated"
    if not (generated / "truth").exists():
        generate(generated, sf=args.sf, days=args.days, seed=42, log=lambda _: None)
    # the reference: a DuckDB-file warehouse built day by day, a copy kept per day
    reference = out / "dev"
    references = []
    for day in range(args.days + 1):
        deliver(generated, reference / "landing", day)
        run(reference, "dev", generated, args.threads)
        copy = out / f"dev-day{day}.duckdb"
        shutil.copy(reference / "warehouse.duckdb", copy)
        references.append(copy)
    builds = 0
    for round_ in range(1, args.rounds + 1):
        root = out / f"lake-{round_}"
        shutil.rmtree(root, ignore_errors=True)
        for day in range(args.days + 1):
            deliver(generated, root / "landing", day)
            seconds = run(root, "lake", generated, args.threads)
            builds += 1
            problems = catalog_problems(root / "warehouse.ducklake")
            compared = compare_gold(root / "warehouse.ducklake", references[day])
            differ = {t: c for t, c in compared.items() if c["only_ours"] or c["only_baseline"]}
            if not compared:
                problems.append("no gold table compared")
            if differ:
                problems.append(f"gold differs from the DuckDB-file build: {differ}")
            print(f"round {round_} day {day}: {seconds:.1f}s, {len(compared)} gold tables equal"
                  if not problems else f"round {round_} day {day}: " + "; ".join(problems),
                  flush=True)
            if problems:
                return 1
        shutil.rmtree(root)
    print(f"lake_soak: {builds} lake builds ({args.rounds} rounds of a full build and "
          f"{args.days} increments), each with a consistent catalog and gold equal to the "
          "DuckDB-file build's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
