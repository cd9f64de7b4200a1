"""The benchmark subcommands, apart from the product: `bench`, `bench-ingest`, `bench-cdc`,
`bench-stream`, `bench-serve`, `baseline`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from lakehouse import log
from lakehouse.bench import ENGINES
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.sources.commands import data_options


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from lakehouse.bench.ingest import bench_ingest, report

    rows = bench_ingest(args.sizes, lines=args.lines, repeats=args.repeats,
                        log=lambda m: log(m))
    print(report(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def cmd_bench_cdc(args: argparse.Namespace) -> int:
    from lakehouse.bench.cdc import bench_cdc, report

    generated = Path(args.source) if args.source else Settings.from_env().generated
    result = bench_cdc(generated, Path(args.work), log=lambda m: log(m))
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


def cmd_bench_stream(args: argparse.Namespace) -> int:
    from lakehouse.bench.stream import bench_stream, report

    result = bench_stream(args.rates, seconds=args.seconds, interval=args.trigger_interval,
                          partitions=args.partitions, log=lambda m: log(m))
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 1 if any(r["lost"] or r["duplicates"] for r in result["rates"]) else 0


def cmd_bench_serve(args: argparse.Namespace) -> int:
    from lakehouse.bench.serve import bench_serve, report

    result = bench_serve(Settings.from_env(), requests=args.requests, batch=args.batch,
                         log=lambda m: log(m))
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from lakehouse.bench.pipeline import bench

    if args.smoke:
        args.sf, args.days, args.no_tests = 0.01, 1, True
    result = bench(args.sf, args.days, seed=args.seed, data=Path(args.data),
                   out=Path(args.out) if args.out else None, memory_limit=args.memory_limit,
                   threads=args.threads, tests=not args.no_tests,
                   change_scale=args.change_scale, lake_target=args.lake_target,
                   engine=args.engine or "duckdb", workers=args.workers, log=log)
    print(json.dumps(result["targets"], indent=1, default=str))
    if result["baseline_error"]:
        log(f"bench: the baseline failed in {result['baseline_error']}: gold not compared")
        return 1
    if not result["gold_identical"]:
        log("bench: gold differs between the sides (see gold_checks in bench.json)")
        return 1
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    """One batch of the plain-DuckDB baseline (src/lakehouse/bench/sql/*.sql) in this process."""
    from lakehouse.bench.baseline import run_baseline

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


def register(sub: argparse._SubParsersAction) -> None:
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

    p = sub.add_parser("bench-stream", help="benchmark: `lakehouse stream` at sustained rates",
                       description="Against a local broker (Tansu): produce clickstream events "
                       "at each rate for --seconds while `lakehouse stream` consumes and builds; "
                       "report the rate achieved, loss, duplicates and produce-to-queryable "
                       "latency p50/p95, beside the raw consume rate of the same client.")
    p.add_argument("--rates", type=int, nargs="+", default=[1000, 5000, 20000],
                   help="events per second (default 1000 5000 20000)")
    p.add_argument("--seconds", type=float, default=300, help="seconds per rate (default 300)")
    p.add_argument("--trigger-interval", default="5s", help="the stream's (default 5s)")
    p.add_argument("--partitions", type=int, default=3, help="topic partitions (default 3)")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.set_defaults(func=cmd_bench_stream)

    p = sub.add_parser("bench-serve", help="benchmark: `lakehouse serve-model` against the "
                       "model in process",
                       description="On the environment's warehouse (published gold and a "
                       "`champion`): sequential requests to the endpoint, single records and "
                       "batches, timed beside the same model's in-process predict_proba on the "
                       "same rows; latency p50/p99, requests and records per second, the ratio.")
    p.add_argument("--requests", type=int, default=500, help="requests per kind (default 500)")
    p.add_argument("--batch", type=int, default=100, help="records per batch (default 100)")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.set_defaults(func=cmd_bench_serve)

    p = sub.add_parser("bench", help="benchmark: the whole pipeline, ours against a plain-DuckDB "
                       "baseline", description="Generate a data set (timed apart), build it from "
                       "an empty warehouse (day 0), then apply each day as its own run; each run "
                       "by ours (dbt, one process per layer, then dbt test) and by the baseline "
                       "(src/lakehouse/bench/sql/*.sql, plain DuckDB, one process). Writes bench.json, "
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
    p.add_argument("--engine", choices=ENGINES, action="append",
                   help="also run the project on this engine in each run (repeat for more): "
                        "spark, the spark target (a local Spark session); spark_cluster, the "
                        "spark_cluster target on a cluster started for the bench (`lakehouse "
                        "cluster`, --workers workers); engine / DuckDB / baseline, measured in "
                        "one run, each engine's gold compared with DuckDB's (default duckdb: "
                        "DuckDB only)")
    p.add_argument("--workers", type=int, default=2,
                   help="the cluster's workers with --engine spark_cluster (one core each, "
                        "sharing --memory-limit; default 2)")
    p.add_argument("--smoke", action="store_true",
                   help="smoke mode, as the test suite runs it: SF 0.01, 1 day, no dbt test step")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("baseline", help="one batch of the plain-DuckDB baseline",
                       description="Take the landing files not loaded yet through "
                       "src/lakehouse/bench/sql/{bronze,silver,gold}.sql (plain DuckDB SQL, no dbt) "
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
