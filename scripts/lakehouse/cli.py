"""`lakehouse`: the one command-line entry point. `lakehouse <subcommand> --help` for each."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import log
from .config import PROJECT_DIR, ConfigError, Settings
from .dbt import Dbt, DbtError
from .delivery import deliver_days, generate_if_needed
from .errors import PipelineError, UserError
from .servers import serve

DB, LANDING, GENERATED = "LAKEHOUSE_DB", "LAKEHOUSE_LANDING", "LAKEHOUSE_GENERATED"


# --------------------------------------------------------------------------- subcommands
def cmd_extensions(args: argparse.Namespace) -> int:
    from .extensions import install_extensions

    log(f"DuckDB extensions installed and loading: {', '.join(install_extensions())}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else Settings.from_env((GENERATED,)).generated
    generate_if_needed(out, args.sf, args.days, args.seed, force=args.force,
                       change_scale=args.change_scale)
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    settings = Settings.from_env(((GENERATED,) if not args.source else ())
                                 + ((LANDING,) if not args.landing else ()))
    source = Path(args.source) if args.source else settings.generated
    landing = Path(args.landing) if args.landing else settings.landing
    delivered = deliver_days(source, landing, None if args.all else args.day)
    log(f"delivered {len(delivered)} new file(s) into {landing}")
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    """Print a gold (or any) column's lineage down to the landing fields."""
    from .lineage import ARTIFACT, Lineage, tree

    settings = Settings.from_env((DB,))
    target = Dbt().target
    artifact = target / ARTIFACT
    if artifact.exists():
        result = Lineage.from_json(json.loads(artifact.read_text()))
    elif (target / "manifest.json").exists() and settings.db.exists():
        from .pipeline import column_lineage

        result = column_lineage(settings.db, target)
    else:
        raise UserError(f"no column lineage yet ({artifact}): run `lakehouse run` first")
    name = args.column.lower()
    columns = [name] if name in result.upstream else sorted(
        c for c in result.upstream if c.startswith(name + "."))
    if not columns:
        tables = sorted({c.rsplit(".", 1)[0] for c in result.upstream if c.startswith("gold.")})
        raise UserError(f"no column or table '{args.column}' in the lineage; gold tables: "
                        f"{', '.join(tables)}")
    for column in columns:
        print("\n".join(tree(result, column)))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .generator import deliver
    from .pipeline import run_pipeline

    settings = Settings.from_env((LANDING, DB, *((GENERATED,) if args.generate else ())))
    if args.generate:
        generate_if_needed(settings.generated, args.sf, args.days, args.seed,
                           change_scale=args.change_scale)
        delivered = deliver(settings.generated, settings.landing)
        log(f"delivered {len(delivered)} new file(s) into {settings.landing}")
    run_pipeline(settings, docs=not args.no_docs, max_files_per_run=args.max_files_per_run,
                 variables=json.loads(args.vars) if args.vars else None,
                 publish_to=None if args.no_publish else settings.serving)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train the late-delivery model on published gold; log and register it in MLflow."""
    from .ml import train, trained_json

    result = train(Settings.from_env(), validation_days=args.validation_days,
                   regularization=args.regularization)
    if args.json:
        print(trained_json(result))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start the executive dashboard (Streamlit) on the published serving copy."""
    Settings.from_env().export()
    app = Path(__file__).with_name("dashboard.py")
    log(f"dashboard on http://127.0.0.1:{args.port} (Ctrl-C to stop)")
    return serve([str(Path(sys.executable).parent / "streamlit"), "run", str(app),
                  "--server.port", str(args.port), "--server.address", "127.0.0.1",
                  "--server.headless", "true", "--browser.gatherUsageStats", "false"])


def cmd_orchestrate(args: argparse.Namespace) -> int:
    """Serve the workflows (Dagster's UI and daemon) on 127.0.0.1 until interrupted."""
    from .orchestration.instance import command, environment

    os.environ.update(environment(Settings.from_env((LANDING, DB))))
    log(f"workflows on http://127.0.0.1:{args.port} (instance {os.environ['DAGSTER_HOME']}; "
        "Ctrl-C to stop): the job `lakehouse_run` starts when files land, daily at 06:00 UTC, "
        "or from the UI")
    return serve(command(args.port))


def cmd_history(args: argparse.Namespace) -> int:
    """Print the latest runs from ops.run_history (Workflows' run history), or with --table a
    table's versions (Delta's DESCRIBE HISTORY, on the lake target)."""
    settings = Settings.from_env((DB,))
    if args.table:
        from .versions import HISTORY_COLUMNS, table_history

        rows = table_history(settings.db, args.table, limit=args.limit)
        print_rows(list(HISTORY_COLUMNS), [tuple(r.values()) for r in rows], args.json)
        return 0
    from .run_history import print_history

    print_history(settings.db, settings.serving / "lakehouse.duckdb", args.limit)  # type: ignore[operator]
    return 0


def print_rows(columns: list[str], rows: list[tuple], as_json: bool = False) -> None:
    """Rows as a Markdown table, or as JSON (a list of objects)."""
    if as_json:
        print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], indent=1,
                         default=str))
        return
    print("| " + " | ".join(columns) + " |")
    print("| " + " | ".join("---" for _ in columns) + " |")
    for row in rows:
        print("| " + " | ".join("" if v is None else str(v) for v in row) + " |")


def cmd_restore(args: argparse.Namespace) -> int:
    """RESTORE TABLE ... TO VERSION AS OF (lake target)."""
    from .versions import restore

    result = restore(Settings.from_env((DB,)).db, args.table, args.version, force=args.force)
    log(f"restored {result['table']} to version {result['restored_version']} as version "
        f"{result['new_version']} ({result['rows_deleted']} rows deleted, "
        f"{result['rows_inserted']} inserted; the history is kept)")
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    """The change data feed between two versions (lake target)."""
    from .versions import changes

    columns, rows = changes(Settings.from_env((DB,)).db, args.table, args.start, args.end,
                            limit=args.limit)
    print_rows(columns, rows, args.json)
    return 0


def cmd_vacuum(args: argparse.Namespace) -> int:
    """VACUUM (lake target): expire old versions, delete files no kept version uses."""
    from .versions import vacuum

    result = vacuum(Settings.from_env((DB,)).db, args.older_than, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(result))
        return 0
    expired = result["versions_expired"]
    log(("would expire" if args.dry_run else "expired") + f" {len(expired)} version(s)"
        + (f" ({expired[0]}..{expired[-1]})" if expired else "")
        + ("" if args.dry_run else f"; deleted {result['files_deleted']} data file(s)"))
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    """OPTIMIZE (lake target): compact small files, rewrite files with many deletes."""
    from .versions import optimize

    result = optimize(Settings.from_env((DB,)).db)
    log(f"data files: {result['data_files_before']} -> {result['data_files_after']}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Generate the dbt docs site (lineage: landing files -> bronze -> silver -> gold ->
    exposures) and, with --serve, serve it on localhost."""
    Settings.from_env((LANDING, DB)).export()
    dbt = Dbt()
    # --static: one self-contained page that renders opened from disk (index.html fetches
    # manifest.json and catalog.json, which browsers refuse over file://)
    dbt.run("docs", "generate", "--static")
    site = dbt.target / "static_index.html"
    log(f"docs site: {site} (open file://{site} in a browser)")
    if args.serve:
        log(f"serving the docs on http://127.0.0.1:{args.port} (Ctrl-C to stop)")
        return serve(dbt.command("docs", "serve", "--port", str(args.port), "--host",
                                 "127.0.0.1", "--no-browser"))
    return 0


def cmd_time_travel(args: argparse.Namespace) -> int:
    """Print a history model or snapshot as of a source time (the `as_of` macro), or any table
    of the lake as a version or a build left it (dbt show)."""
    from .time_travel import time_travel, time_travel_build

    settings = Settings.from_env((DB,))
    settings.export()
    if args.as_of is None:
        return time_travel_build(settings.db, args.table, version=args.version,
                                 as_of_build=args.as_of_build, where=args.where,
                                 limit=args.limit, as_json=args.json)
    return time_travel(settings.db, args.table, args.as_of, where=args.where, limit=args.limit,
                       as_json=args.json)


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from .bench.ingest import bench_ingest, report

    rows = bench_ingest(args.sizes, lines=args.lines, repeats=args.repeats,
                        log=lambda m: log(m))
    print(report(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def cmd_bench_cdc(args: argparse.Namespace) -> int:
    from .bench.cdc import bench_cdc, report

    generated = Path(args.source) if args.source else Settings.from_env().generated
    result = bench_cdc(generated, Path(args.work), log=lambda m: log(m))
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench.pipeline import bench

    if args.smoke:
        args.sf, args.days, args.no_tests = 0.1, 1, True
    result = bench(args.sf, args.days, seed=args.seed, data=Path(args.data),
                   out=Path(args.out) if args.out else None, memory_limit=args.memory_limit,
                   threads=args.threads, tests=not args.no_tests,
                   change_scale=args.change_scale, lake_target=args.lake_target,
                   engine=args.engine, log=log)
    print(json.dumps(result["targets"], indent=1, default=str))
    if result["baseline_error"]:
        log(f"bench: the baseline failed in {result['baseline_error']}: gold not compared")
        return 1
    if not result["gold_identical"]:
        log("bench: gold differs between the sides (see gold_checks in bench.json)")
        return 1
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    """One batch of the plain-DuckDB baseline (scripts/lakehouse/bench/sql/*.sql) in this process."""
    from .bench.baseline import run_baseline

    settings = Settings.from_env()
    result = run_baseline(Path(args.db) if args.db else settings.db.with_name("baseline.duckdb"),
                          Path(args.landing) if args.landing else settings.landing,
                          memory_limit=args.memory_limit, threads=args.threads,
                          key_ranges=args.key_ranges)
    log(f"baseline batch {result['batch']}: " + ", ".join(
        f"{layer} {seconds:.2f}s" for layer, seconds in result["seconds"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from .capture import CaptureError, capture
    from .config import env_path

    overrides = {}
    for setting in args.set:
        key, sep, value = setting.partition("=")
        if not sep or not key:
            print(f"lakehouse: --set takes key=value, got '{setting}'", file=sys.stderr)
            return 2
        overrides[key.strip()] = value.strip()
    try:
        capture(Settings.from_env((LANDING,)).landing, env_path("LAKEHOUSE_CAPTURE_STATE"),
                tables=args.tables, overrides=overrides, idle_exit=args.idle_exit,
                max_seconds=args.max_seconds, log=log)
    except CaptureError as error:
        print(f"lakehouse: capture: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_databricks(args: argparse.Namespace) -> int:
    """dbt on the databricks target, from its own environment (made on first use)."""
    from .databricks import databricks_dbt

    return databricks_dbt().run(*(args.dbt_args or ["parse"]), check=False).returncode


def cmd_test(args: argparse.Namespace) -> int:
    """The test suite (or its fast tier); stops at the first failing step."""
    from .testsuite import run_tests

    return run_tests(args.pytest_args, fast=args.fast, log=log)


# --------------------------------------------------------------------------- parser
def change_scale(text: str) -> float:
    """`--change-scale`: a factor in (0, MAX_CHANGE_SCALE]."""
    from .generator.rates import MAX_CHANGE_SCALE

    value = float(text)
    if not 0 < value <= MAX_CHANGE_SCALE:
        raise argparse.ArgumentTypeError(f"{text} is outside (0, {MAX_CHANGE_SCALE:g}]")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description="Local lakehouse: generate source data, deliver it, build bronze/silver/gold.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="<subcommand>")

    def data_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--sf", type=float, default=0.1, help="TPC-H scale factor (default 0.1)")
        p.add_argument("--days", type=int, default=7,
                       help="simulated days of changes after day 0 (default 7; 0 = day 0 only)")
        p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        p.add_argument("--change-scale", type=change_scale, default=1.0,
                       help="multiply the day's change volume (rates.py's DAILY_VOLUME: CDC "
                            "changes, catalog changes, web sessions) by this factor, up to 20 "
                            "(default 1)")

    p = sub.add_parser("extensions", help="install the DuckDB extensions from their wheels",
                       description="Install tpch, sqlite and ducklake from the "
                       "duckdb-extension-* wheels so that they load offline.")
    p.set_defaults(func=cmd_extensions)

    p = sub.add_parser("generate", help="simulate the retail source (landing files + truth)",
                       description="Simulate the retail source system: day-0 Parquet extracts "
                       "from TPC-H dbgen, days of Debezium change events, daily catalog "
                       "extracts and web clickstream, with real-feed defects and ground truth. "
                       "Deterministic for a given seed.")
    data_options(p)
    p.add_argument("--out", help="output directory (default $LAKEHOUSE_GENERATED or "
                                 "data/generated)")
    p.add_argument("--force", action="store_true", help="regenerate even if present")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("deliver", help="copy generated files into the landing zone, by day",
                       description="Deliver the generated files that have arrived by a day "
                       "(a late file arrives on a later day than its data) into the landing "
                       "zone, atomically and idempotently.")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--day", type=int, help="deliver files arriving on days 0..DAY")
    when.add_argument("--all", action="store_true", help="deliver every file")
    p.add_argument("--source", help="generated data set (default $LAKEHOUSE_GENERATED)")
    p.add_argument("--landing", help="landing zone (default $LAKEHOUSE_LANDING)")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("run", help="the main job: everything pending through all layers",
                       description="Process everything pending in the landing zone through "
                       "bronze, silver and gold (dbt build: models and tests), then generate "
                       "the docs. With --generate, first generate the data set (if not yet "
                       "there) and deliver all of it.")
    p.add_argument("--generate", action="store_true",
                   help="generate (sf/days/seed below) and deliver all files first")
    data_options(p)
    p.add_argument("--no-docs", action="store_true", help="skip dbt docs generate")
    p.add_argument("--vars", help="dbt variables for the build, as JSON (e.g. expectation "
                                  "overrides)")
    p.add_argument("--no-publish", action="store_true",
                   help="do not publish gold to the serving location")
    p.add_argument("--max-files-per-run", type=int, metavar="N",
                   help="at most N new files per feed per dbt build; builds repeat until "
                        "nothing is pending (Auto Loader maxFilesPerTrigger + AvailableNow)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("train", help="train the late-delivery model on gold, track and "
                       "register it in MLflow",
                       description="Train the late-delivery model on gold.ml_late_delivery_"
                       "features as published (the serving copy), split by time; log it to "
                       "MLflow ($MLFLOW_TRACKING_URI, default a SQLite store beside the "
                       "warehouse), register a new version, and give it the alias `champion` "
                       "if it beats the current champion on the same validation rows. The "
                       "next `lakehouse run` scores with the champion (gold.pred_late_delivery).")
    p.add_argument("--validation-days", type=int, default=365, metavar="N",
                   help="validate on the last N days of orders with final labels (default 365)")
    p.add_argument("--regularization", type=float, default=1.0, metavar="C",
                   help="the logistic regression's inverse regularization strength (default 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("dashboard", help="the executive dashboard (Streamlit, read-only)",
                       description="Serve the executive dashboard on 127.0.0.1: it reads only "
                       "the published serving copy ($LAKEHOUSE_SERVING), read-only.")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("orchestrate", help="workflows: Dagster's UI and daemon (file-arrival "
                       "sensor, daily schedule, runs on demand, retries)",
                       description="Serve the Dagster UI and run its daemon on 127.0.0.1: the "
                       "job `lakehouse_run` (every dbt model an asset, every test a check, "
                       "then the publication) starts when files land in the landing zone, "
                       "every day at 06:00 UTC, or from the UI; one run at a time. The "
                       "instance is $DAGSTER_HOME (default data/dagster).")
    p.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    p.set_defaults(func=cmd_orchestrate)

    p = sub.add_parser("history", help="the run history (ops.run_history), or a table's "
                       "versions (--table)",
                       description="Print the latest runs: id, times, status, files ingested, "
                       "models, whether gold was published. With --table (lake target), the "
                       "table's versions, newest first, as Delta's DESCRIBE HISTORY: version, "
                       "time, operation, rows inserted and deleted, the run that wrote it.")
    p.add_argument("--limit", type=int, default=20, help="runs or versions to show (default 20)")
    p.add_argument("--table", help="a table of the lake, e.g. gold.fct_orders")
    p.add_argument("--json", action="store_true", help="print JSON (with --table)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("docs", help="generate (and serve) the dbt docs: lineage browser",
                       description="dbt docs generate; with --serve, dbt docs serve on "
                       "127.0.0.1. The lineage graph runs from the landing sources to the gold "
                       "exposures.")
    p.add_argument("--serve", action="store_true", help="serve the site after generating it")
    p.add_argument("--port", type=int, default=8080, help="port for --serve (default 8080)")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("time-travel", help="a table as it was at a time or version",
                       description="Print the rows of a history model (source time: commit "
                       "time or extract date) or of a dbt snapshot (build time) as they were at "
                       "--as-of, through the as_of() macro; or, on the lake target, any table "
                       "as table version --version or the build at --as-of-build left it "
                       "(Delta's VERSION AS OF / TIMESTAMP AS OF).")
    p.add_argument("--table", required=True,
                   help="with --as-of, a history model or snapshot, e.g. customers_history, "
                        "parts_snapshot; else any table of the lake, e.g. gold.fct_orders")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--as-of", help="a source time, e.g. '1998-08-05 12:00' (UTC)")
    when.add_argument("--version", type=int,
                      help="a table version (`lakehouse history --table T` lists them)")
    when.add_argument("--as-of-build", metavar="TIMESTAMP",
                      help="a build time, e.g. '2026-12-02 21:00' (UTC): the last version "
                           "committed by then")
    p.add_argument("--where", help="a SQL filter on the rows, e.g. 'customer_id = 7'")
    p.add_argument("--limit", type=int, default=50, help="rows to print (default 50, -1 all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_time_travel)

    p = sub.add_parser("restore", help="a table back to a version, as a new version (lake)",
                       description="Delta's RESTORE TABLE ... TO VERSION AS OF: the table's "
                       "rows become what version --version held, written as a new version in "
                       "one transaction (the history is kept; restoring is itself undone by "
                       "restoring the version before it). Bronze tables are refused unless "
                       "--force: with the ingest ledger they say which files were loaded.")
    p.add_argument("--table", required=True, help="a table of the lake, e.g. gold.fct_orders")
    p.add_argument("--version", type=int, required=True, help="the version to restore")
    p.add_argument("--force", action="store_true",
                   help="restore a bronze table too (restore bronze.ingest_ledger with it)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("changes", help="the change data feed of a table (lake)",
                       description="Delta's table_changes(): every row inserted, deleted or "
                       "updated (pre- and post-image) from version --from to --to (default the "
                       "latest), with snapshot_id (the version), rowid and change_type.")
    p.add_argument("--table", required=True, help="a table of the lake, e.g. gold.fct_orders")
    p.add_argument("--from", dest="start", type=int, required=True, help="first version")
    p.add_argument("--to", dest="end", type=int, help="last version (default: the latest)")
    p.add_argument("--limit", type=int, default=100, help="rows to print (default 100, -1 all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_changes)

    p = sub.add_parser("vacuum", help="expire old table versions, delete unused files (lake)",
                       description="Delta's VACUUM: expire the versions older than "
                       "--older-than (never the latest, nor the one BI reads), then delete the "
                       "data files that no kept version references. Time travel to an expired "
                       "version is no longer possible.")
    p.add_argument("--older-than", default="7d",
                   help="age of the versions to expire: 7d, 12h, 30m (default 7d)")
    p.add_argument("--dry-run", action="store_true", help="list what would be expired")
    p.add_argument("--json", action="store_true",
                   help="print the versions expired and the files deleted as JSON")
    p.set_defaults(func=cmd_vacuum)

    p = sub.add_parser("optimize", help="compact small data files (lake)",
                       description="Delta's OPTIMIZE: merge each table's small Parquet files "
                       "and rewrite files with many deleted rows. Versions, time travel and "
                       "the change feed are unchanged.")
    p.set_defaults(func=cmd_optimize)

    p = sub.add_parser("bench-ingest", help="benchmark: one new file on top of N ingested",
                       description="Time one bronze run that takes 1 new landing file on top of "
                       "N files already ingested, for each N; reports model and wall seconds, "
                       "rows/s and the ratio to the smallest N (should stay near 1).")
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000],
                   help="values of N (default 10 100 1000)")
    p.add_argument("--lines", type=int, default=1000, help="lines per file (default 1000)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per N (default 3)")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.set_defaults(func=cmd_bench_ingest)

    p = sub.add_parser("bench-cdc", help="benchmark: a day of CDC against a full build",
                       description="Build bronze+silver from all but the last day of a "
                       "generated data set, then apply the last day; report per-layer times, "
                       "the increment's share of the full build, and DELETE+INSERT vs MERGE "
                       "for applying the day to silver.order_lines.")
    p.add_argument("--source", help="generated data set (default $LAKEHOUSE_GENERATED)")
    p.add_argument("--work", default="/tmp/lakehouse-bench-cdc", help="scratch directory")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.set_defaults(func=cmd_bench_cdc)

    p = sub.add_parser("bench", help="benchmark: the whole pipeline, ours against a plain-DuckDB "
                       "baseline", description="Generate a data set (timed apart), build it from "
                       "an empty warehouse (day 0), then apply each day as its own run; each run "
                       "by ours (dbt, one process per layer, then dbt test) and by the baseline "
                       "(scripts/lakehouse/bench/sql/*.sql, plain DuckDB, one process). Writes bench.json, "
                       "report.md, runs.png and layers.png; fails if the two gold layers differ.")
    data_options(p)
    p.set_defaults(days=3)
    p.add_argument("--data", default=str(PROJECT_DIR / "data" / "bench"),
                   help="where data sets and scratch warehouses go (default data/bench); the "
                        "data set is reused when its parameters match")
    p.add_argument("--out", help="report directory (default DATA/sf<sf>-d<days>-s<seed>[-c<change "
                   "scale>]/report)")
    p.add_argument("--memory-limit", default=os.environ.get("LAKEHOUSE_MEMORY_LIMIT", "8GB"),
                   help="DuckDB memory_limit for ours and the baseline (default "
                        "$LAKEHOUSE_MEMORY_LIMIT or 8GB)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("LAKEHOUSE_THREADS", "2")),
                   help="DuckDB/dbt threads (default $LAKEHOUSE_THREADS or 2)")
    p.add_argument("--no-tests", action="store_true", help="skip the dbt test step of each run")
    p.add_argument("--lake-target", action="store_true",
                   help="also run the project on the lake target (DuckLake) in each run: "
                        "lake / DuckDB file / baseline, measured in one run")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="spark: also run the project on the spark target (a local Spark "
                        "session) in each run: spark / DuckDB / baseline, measured in one run, "
                        "spark's gold compared with DuckDB's (default duckdb: DuckDB only)")
    p.add_argument("--smoke", action="store_true",
                   help="smoke mode, as the test suite runs it: SF 0.1, 1 day, no dbt test step")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("baseline", help="one batch of the plain-DuckDB baseline",
                       description="Take the landing files not loaded yet through "
                       "scripts/lakehouse/bench/sql/{bronze,silver,gold}.sql (plain DuckDB SQL, no dbt) "
                       "into a DuckDB file, in one process and one transaction.")
    p.add_argument("--db", help="baseline DuckDB file (default: baseline.duckdb beside "
                                "$LAKEHOUSE_DB)")
    p.add_argument("--landing", help="landing zone (default $LAKEHOUSE_LANDING)")
    p.add_argument("--memory-limit", default=os.environ.get("LAKEHOUSE_MEMORY_LIMIT", "8GB"),
                   help="DuckDB memory_limit (default $LAKEHOUSE_MEMORY_LIMIT or 8GB)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("LAKEHOUSE_THREADS", "2")),
                   help="DuckDB threads (default $LAKEHOUSE_THREADS or 2)")
    p.add_argument("--key-ranges", type=int, metavar="N",
                   help="build the largest histories of a full build in N key ranges (default: "
                        "one per 15 M day-0 order lines)")
    p.add_argument("--json", help="also write the batch's seconds per layer to this JSON file")
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("lineage", help="column lineage of a gold column, down to landing",
                       description="Print where a column comes from, column by column, down "
                       "to the landing files' fields, with PII tags (from the last run's "
                       "target/column_lineage.json, computed from the compiled SQL).")
    p.add_argument("column", help="schema.table.column (e.g. gold.dim_supplier.phone), or "
                                  "schema.table for all its columns")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("capture", help="change data capture from PostgreSQL (Debezium)",
                       description="Capture changes from a PostgreSQL database into the "
                       "landing zone's cdc/<table>/<date>/ files with the embedded Debezium "
                       "engine (initial snapshot, then the logical replication stream), at the "
                       "connector's default settings. Connection from PGHOST, PGPORT, PGUSER, "
                       "PGPASSWORD, PGDATABASE; offsets in $LAKEHOUSE_CAPTURE_STATE (default "
                       "data/capture), so a stopped or killed capture resumes where it was. "
                       "Runs until SIGINT/SIGTERM unless --idle-exit or --max-seconds.")
    p.add_argument("--tables", nargs="+", default=["customer", "orders", "lineitem"],
                   help="tables of schema public to capture (default customer orders lineitem)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a Debezium connector property, e.g. decimal.handling.mode=string or "
                        "converter.schemas.enable=false (repeatable)")
    p.add_argument("--idle-exit", type=float, metavar="SECONDS",
                   help="stop after this many seconds without a new event (with none at all: "
                        "after a 30 s start-up grace, then this many seconds)")
    p.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    p.set_defaults(func=cmd_capture)

    p = sub.add_parser("databricks", help="dbt on the databricks target (dbt-databricks, Delta), "
                       "from its own environment", description="Run dbt on the `databricks` "
                       "target (profiles.yml; DATABRICKS_HOST, DATABRICKS_HTTP_PATH, "
                       "DATABRICKS_TOKEN, DATABRICKS_CATALOG) from .venv-databricks, which is "
                       "made or updated from requirements-databricks.txt first. Without "
                       "arguments: `dbt parse`, which needs no workspace.")
    p.add_argument("dbt_args", nargs=argparse.REMAINDER,
                   help="the dbt command and its arguments (default: parse)")
    p.set_defaults(func=cmd_databricks)

    p = sub.add_parser("test", help="the full test suite (ruff, sqlfluff, dbt build, pytest)",
                       description="Run ruff, sqlfluff lint, dbt build on a small generated "
                       "data set, then pytest (extra arguments go to pytest).")
    p.add_argument("--fast", action="store_true",
                   help="the inner-loop tier (under 5 minutes): lint, the end-to-end build, "
                        "and the pytest tests not marked slow")
    p.add_argument("pytest_args", nargs="*",
                   help="arguments passed to pytest, after `--` (e.g. -- -k bronze -x)")
    p.set_defaults(func=cmd_test)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"lakehouse: {error}", file=sys.stderr)
        return 2
    except (UserError, PipelineError, DbtError) as error:
        print(f"lakehouse: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
