"""The pipeline benchmark: ours (dbt) against a plain-DuckDB baseline, side by side in one run.

For a scale factor and a number of days:
1. the data set is generated (timed on its own: wall seconds and peak memory of the generator
   process, recorded in `generation.json` beside it; an existing set with the same parameters is
   reused with its recorded figures);
2. run 0 delivers day 0 (the initial extracts) into an empty landing zone and builds from an
   empty warehouse (the full build); run d delivers day d and applies it (an increment);
3. each run is done twice on the same landing zone, by ours and by the baseline
   (`sql/*.sql`, see `baseline.py`), one right after the other, so both see the
   same machine load.

Ours runs one dbt process per layer (`dbt build` of the layer's models, tests excluded: seeds
and snapshots go with silver) and then `dbt test`; the machine-learning models are left out
(the baseline has none). Per process: wall time, peak resident memory
(the child's rusage), and from dbt's run_results.json the time its nodes ran (first node start
to last node end); the rest of the wall time is dbt's fixed overhead (interpreter start,
parse, connection, artifacts), reported apart so that ours/baseline compares our SQL and design
with the engine's lower bound. The baseline runs in one process per run and reports seconds per
layer. After the full build and after the last run, every gold table of ours is compared with
the baseline's (all columns but technical ones, as multisets): they must be identical.

With `lake_target`, a third side runs each run too, right after ours: the same project on the
`lake` target (a DuckLake, one dbt thread, see the README's "The lake target"), reported as
lake / ours (the DuckDB file) and lake / baseline, its gold compared with ours'. With
`engine="spark"` the same project runs on the `spark` target too (dbt-spark on a local Spark
session, Parquet tables; see the README's "The spark target"), reported and compared the same
way: spark / ours (DuckDB) and spark / baseline; with `"spark_cluster"` on a Spark standalone
cluster started for the bench (`workers` one-core workers and the Thrift server, as `lakehouse
cluster start` runs it, stopped after it), dbt connecting over Thrift.

Rows per layer: `rows_in` is what reached the layer in the run (landing lines of the new files
for bronze, new bronze rows for silver, new history versions for gold), `rows_out` the rows in
the layer's tables after it; rows/s = rows_in / seconds.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.bench import ENGINES
from lakehouse.config import PROJECT_DIR
from lakehouse.dbt import Dbt, DbtError, measure
from lakehouse.sources.delivery import generated_params
from lakehouse.sources.generator import data_set_params, deliver
from lakehouse.warehouse import attach, connect

BIN = Path(sys.executable).parent
NAN = math.nan
LAYERS = ("bronze", "silver", "gold")
# dbt selections per step: models only (tests run in the last step); seeds and snapshots are
# silver's (reference data and build-time history)
STEPS = {
    "bronze": ["build", "--select", "path:models/bronze"],
    "silver": ["build", "--select", "path:models/silver", "path:seeds", "path:snapshots"],
    "gold": ["build", "--select", "path:models/gold"],
}
# the machine-learning models (gold.ml_*, gold.pred_*) and what hangs below them: the baseline
# has no counterpart, and scoring needs a trained model
NOT_ML = "tag:ml+"
NO_TESTS = ["--exclude", "resource_type:test", "resource_type:unit_test", NOT_ML]
HISTORY_TABLES = ("customers_history", "orders_history", "order_lines_history", "parts_history",
                  "suppliers_history", "part_suppliers_history")


def generate_timed(out: Path, sf: float, days: int, seed: int, change_scale: float = 1.0,
                   log=print) -> dict[str, Any]:
    """The data set in `out`, generated now (timed) or reused (with its recorded figures)."""
    params = data_set_params(sf, days, seed, change_scale)
    record = out / "generation.json"
    if record.exists() and generated_params(out) == params:
        figures = json.loads(record.read_text())
        log(f"bench: reusing the data set in {out} (generated in {figures['seconds']:.1f}s)")
        return {**figures, "reused": True}
    log(f"bench: generating sf={sf} days={days} seed={seed} change_scale={change_scale:g} "
        f"into {out}")
    run = measure([str(BIN / "lakehouse"), "generate", "--sf", str(sf), "--days", str(days),
                   "--seed", str(seed), "--change-scale", str(change_scale), "--out", str(out),
                   "--force"])
    if run.returncode != 0:
        raise RuntimeError(f"bench: generate failed:\n{(run.output or '')[-3000:]}")
    figures = {"seconds": run.seconds, "peak_rss_bytes": run.peak_rss_bytes, "params": params}
    record.write_text(json.dumps(figures, indent=1) + "\n")
    return {**figures, "reused": False}


def _dbt_timing(results: dict[str, Any]) -> dict[str, Any]:
    """Node time and counts from a dbt run_results.json."""
    stamps, compile_s, execute_s, per_node = [], 0.0, 0.0, {}
    for result in results["results"]:
        per_node[result["unique_id"]] = result["execution_time"]
        for step in result.get("timing", []):
            if not step.get("started_at") or not step.get("completed_at"):
                continue
            start = datetime.fromisoformat(step["started_at"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(step["completed_at"].replace("Z", "+00:00"))
            stamps += [start, end]
            seconds = (end - start).total_seconds()
            if step["name"] == "compile":
                compile_s += seconds
            elif step["name"] == "execute":
                execute_s += seconds
    span = (max(stamps) - min(stamps)).total_seconds() if stamps else 0.0
    return {"nodes": len(results["results"]), "node_span_seconds": span,
            "compile_seconds": compile_s, "execute_seconds": execute_s,
            "dbt_elapsed_seconds": results.get("elapsed_time", 0.0),
            "failures": [r["unique_id"] for r in results["results"]
                         if r["status"] in ("error", "fail")],
            "slowest_nodes": dict(sorted(per_node.items(), key=lambda kv: -kv[1])[:8])}


# where a dbt process's wall time goes, between the events its JSON log file records (the
# process's start and end are the bench's): each phase ends at its event, in this order
PHASES = {
    "interpreter_and_imports": "MainReportVersion",  # Python starts, dbt is imported
    "adapter": "AdapterRegistered",  # the profile read, the adapter and its plugins loaded
    "parse_and_manifest": "FoundStats",  # the partial parse read, manifest.json written
    "before_first_node": "LogStartLine",  # connection, schemas, relation cache
    "nodes": "FinishedRunningStats",  # the nodes, then the connections closed
    "artifacts": "StatsLine",  # run_results.json and manifest.json (again) written
}


def _dbt_phases(log_file: Path, started: float, seconds: float) -> dict[str, float]:
    """Seconds per phase (`PHASES`, then `exit`: to the process's end) of the dbt process that
    wrote `log_file` (JSON lines, info level); {} when a marker is missing (a failed step)."""
    stamps: dict[str, float] = {}
    for line in log_file.read_text().splitlines() if log_file.exists() else []:
        try:
            info = json.loads(line)["info"]
        except (ValueError, KeyError):
            continue
        if info["name"] in PHASES.values() and info["name"] not in stamps:
            stamps[info["name"]] = datetime.fromisoformat(
                info["ts"].replace("Z", "+00:00")).timestamp()
    if set(stamps) != set(PHASES.values()):
        return {}
    marks = [started, *(stamps[event] for event in PHASES.values()), started + seconds]
    return {phase: later - earlier for phase, earlier, later
            in zip([*PHASES, "exit"], marks[:-1], marks[1:], strict=True)}


# the warehouse of each dbt target (LAKEHOUSE_DB): a DuckDB file, a DuckLake, a Spark warehouse
# directory (its tables' Parquet under warehouse/<schema>.db/, its Derby metastore)
WAREHOUSES = {"dev": "ours.duckdb", "lake": "ours.ducklake", "spark": "ours.spark",
              "spark_cluster": "cluster"}


class Ours:
    """The dbt project against its own warehouse and target directory, on a dbt target (`dev`,
    a DuckDB file; `lake`, a DuckLake; `spark`, a local Spark session; `spark_cluster`, the
    cluster whose directory is the warehouse and whose Thrift server is at `thrift_port`)."""

    def __init__(self, work: Path, landing: Path, memory_limit: str, threads: int,
                 target: str = "dev", thrift_port: int | None = None) -> None:
        self.work = work / target if target != "dev" else work
        self.db = self.work / WAREHOUSES[target]
        # dbt's log file at info level, as JSON (timestamps to the microsecond): its phases
        self.dbt = Dbt.scratch(self.work, landing, self.db, LAKEHOUSE_MEMORY_LIMIT=memory_limit,
                               LAKEHOUSE_THREADS=str(threads), LAKEHOUSE_TARGET=target,
                               DBT_LOG_LEVEL_FILE="info", DBT_LOG_FORMAT_FILE="json",
                               **({"LAKEHOUSE_SPARK_PORT": str(thrift_port)}
                                  if thrift_port else {}))
        self.log_file = self.work / "logs" / "dbt.log"

    def step(self, name: str, args: list[str]) -> dict[str, Any]:
        self.log_file.unlink(missing_ok=True)
        started = time.time()
        run = self.dbt.run(*args, check=False, capture=True)
        timing = _dbt_timing(run.run_results or {"results": []})
        if not run.ok and (name != "test" or not timing["failures"]):
            raise DbtError(run)
        return {"step": name, "seconds": run.seconds, "peak_rss_bytes": run.peak_rss_bytes,
                "net_seconds": timing["node_span_seconds"],
                "dbt_overhead_seconds": run.seconds - timing["node_span_seconds"],
                "dbt_phases": _dbt_phases(self.log_file, started, run.seconds), **timing}

    def run(self, tests: bool) -> list[dict[str, Any]]:
        steps = [self.step(layer, [*args, *NO_TESTS]) for layer, args in STEPS.items()]
        if tests:
            # the data tests, as `lakehouse run` runs them (dbt's unit tests are CI's)
            steps.append(self.step("test", ["test", "--exclude-resource-type", "unit_test",
                                            "--exclude", NOT_ML]))
        return steps


def _row_counts(db: Path) -> dict[str, dict[str, int]]:
    """Rows per table of the bronze, silver and gold schemas of a warehouse."""
    con = connect(db, read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() "
            "and schema_name in ('bronze', 'silver', 'gold') order by all").fetchall()
        counts: dict[str, dict[str, int]] = {layer: {} for layer in LAYERS}
        for schema, table in tables:
            counts[schema][table] = con.execute(
                f'select count(*) from "{schema}"."{table}"').fetchone()[0]  # type: ignore[index]
        return counts
    finally:
        con.close()


def _in_child(function, *args):
    """`function(*args)` in a fresh interpreter: the bench process itself never holds DuckDB
    memory, because Linux reports a child's peak memory (ru_maxrss) as at least the parent's
    resident size when it forked; a comparison run in this process inflated every later
    measurement (seen at SF 1)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _rows(before: dict, after: dict, landing_lines: int) -> dict[str, dict[str, int]]:
    def total(counts: dict, layer: str, only: tuple[str, ...] | None = None) -> int:
        return sum(n for t, n in counts.get(layer, {}).items() if only is None or t in only)

    bronze_new = total(after, "bronze") - total(before, "bronze")
    versions_new = (total(after, "silver", HISTORY_TABLES)
                    - total(before, "silver", HISTORY_TABLES))
    return {
        "bronze": {"rows_in": landing_lines, "rows_out": total(after, "bronze")},
        "silver": {"rows_in": bronze_new, "rows_out": total(after, "silver")},
        "gold": {"rows_in": versions_new, "rows_out": total(after, "gold")},
    }


def comparable(name: str, kind: str) -> str:
    """A column as two engines' builds are compared: doubles to ten significant digits (the
    engines add them up in different orders), every other value as it is."""
    return f"printf('%.10g', \"{name}\")" if kind in ("DOUBLE", "FLOAT") else f'"{name}"'


def compare_gold(ours: Path, baseline: Path) -> dict[str, dict[str, int]]:
    """Every gold table of ours against the baseline's: rows, and rows only in one of them
    (multiset difference over all columns but technical ones, whose names start with `_`).
    Each table's multiset is fingerprinted first (row count and the sum of the rows' hashes,
    values as text so that equal values of different types agree, doubles to ten significant
    digits, as engines sum them in different orders); only tables whose fingerprints differ are
    diffed row by row, which at SF 10 spills tens of GB to disk. A table one side does not have
    counts as empty there. Either side may be a Spark warehouse directory (`attach`)."""
    con = duckdb.connect()
    try:
        for side, path in (("ours", ours), ("baseline", baseline)):
            attach(con, path, side, read_only=True)
        tables = {side: {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = "
            "'gold' union select view_name from duckdb_views() where database_name = ? and "
            "schema_name = 'gold'", [side, side]).fetchall()} for side in ("ours", "baseline")}
        out = {}
        for table in sorted(tables["ours"] | tables["baseline"]):
            if not all(table in found for found in tables.values()):
                side = "ours" if table in tables["ours"] else "baseline"
                rows = con.execute(f'select count(*) from {side}.gold."{table}"').fetchone()[0]  # type: ignore[index]
                out[table] = {"rows": rows, "only_ours": rows if side == "ours" else 0,
                              "only_baseline": rows if side == "baseline" else 0}
                continue
            values = [comparable(name, kind) for name, kind in con.execute(
                          "select column_name, data_type from duckdb_columns() "
                          "where database_name = 'ours' and schema_name = 'gold' "
                          "and table_name = ? and not starts_with(column_name, '_') "
                          "order by column_index", [table]).fetchall()]
            columns = ", ".join(values)
            a, b = f'ours.gold."{table}"', f'baseline.gold."{table}"'
            as_text = ", ".join(f"{value}::varchar" for value in values)
            fingerprint = f"select count(*), sum(hash({as_text})) from "
            rows, ours_sum = con.execute(fingerprint + a).fetchone()  # type: ignore[misc]
            if (rows, ours_sum) == con.execute(fingerprint + b).fetchone():
                out[table] = {"rows": rows, "only_ours": 0, "only_baseline": 0}
                continue
            out[table] = {
                "rows": rows,
                "only_ours": con.execute(f"select count(*) from (select {columns} from {a} "
                                         f"except all select {columns} from {b})").fetchone()[0],  # type: ignore[index]
                "only_baseline": con.execute(f"select count(*) from (select {columns} from {b} "
                                             f"except all select {columns} from {a})").fetchone()[0],  # type: ignore[index]
            }
        return out
    finally:
        con.close()


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    memory = next(int(line.split()[1]) * 1024 for line in
                  Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    versions = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb"):
        from importlib.metadata import version
        versions[package] = version(package)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": memory,
            "os": platform.platform(), "python": platform.python_version(), **versions}


def bench(sf: float, days: int, seed: int = 42, data: Path = PROJECT_DIR / "data" / "bench",
          out: Path | None = None, memory_limit: str = "8GB", threads: int = 2,
          tests: bool = True, change_scale: float = 1.0, lake_target: bool = False,
          engine: str | Sequence[str] = "duckdb", workers: int = 2,
          log=print) -> dict[str, Any]:
    """`engine`: one or more of ENGINES; the project runs on each (the DuckDB file always),
    `spark_cluster` on a cluster of `workers` one-core workers started for the bench."""
    engines = (engine,) if isinstance(engine, str) else tuple(engine)
    if not engines or set(engines) - set(ENGINES):
        raise ValueError(f"bench: engines {engines!r}: each one of {', '.join(ENGINES)}")
    name = f"sf{sf:g}-d{days}-s{seed}" + (f"-c{change_scale:g}" if change_scale != 1 else "")
    generated = data / name / "generated"
    work = data / name / "work"
    out = out or data / name / "report"
    generation = generate_timed(generated, sf, days, seed, change_scale, log)
    if work.exists():
        shutil.rmtree(work)
    landing = work / "landing"
    landing.mkdir(parents=True)
    ours = Ours(work, landing, memory_limit, threads)
    with contextlib.ExitStack() as stack:
        cluster_port = None
        if "spark_cluster" in engines:
            cluster_port = stack.enter_context(_cluster(work / "spark_cluster" / "cluster",
                                                        workers, memory_limit, log))
        others = {target: Ours(work, landing, memory_limit, threads, target=target,
                               thrift_port=cluster_port if target == "spark_cluster" else None)
                  for target, wanted in (("lake", lake_target), ("spark", "spark" in engines),
                                         ("spark_cluster", "spark_cluster" in engines))
                  if wanted}
        result = _bench_runs(sf, days, seed, change_scale, memory_limit, threads, tests,
                             lake_target, engines, workers, generated, generation, work, landing,
                             ours, others, log)
    from lakehouse.bench.report import write_report

    write_report(result, out)
    log(f"bench: report in {out}")
    return result


@contextlib.contextmanager
def _cluster(directory: Path, workers: int, memory_limit: str, log) -> Iterator[int]:
    """A Spark cluster of `workers` one-core workers for the bench, on the default ports (its
    UIs where `lakehouse cluster` puts them), sharing `memory_limit` as the Spark session's
    driver has it whole; stopped after the bench. Yields its Thrift server's port."""
    from lakehouse.build import cluster

    number, unit = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)i?B?\s*", memory_limit,
                                re.IGNORECASE).groups()  # type: ignore[union-attr]
    megabytes = float(number) * 1024 ** ("KMGT".index(unit.upper() or "M") - 1)
    started = cluster.start(directory, workers=workers,
                            memory=f"{max(512, int(megabytes // workers))}m", log=log)
    try:
        yield started.thrift_port
    finally:
        cluster.stop(directory, log=log)


def _bench_runs(sf: float, days: int, seed: int, change_scale: float, memory_limit: str,
                threads: int, tests: bool, lake_target: bool, engines: tuple[str, ...],
                workers: int, generated: Path, generation: dict[str, Any], work: Path,
                landing: Path, ours: Ours, others: dict[str, Ours], log) -> dict[str, Any]:
    """Each day delivered and built by ours, the baseline and the other targets, measured."""
    for other in others.values():
        other.work.mkdir(exist_ok=True)
    baseline_db = work / "baseline.duckdb"
    manifest = json.loads((generated / "manifest.json").read_text())
    lines_by_path = {f["path"]: f["lines"] for f in manifest["files"]}
    runs, checks = [], {}
    counts = {"ours": {}, "baseline": {}}
    baseline_error: str | None = None
    for day in range(days + 1):
        delivered = deliver(generated, landing, day)
        landing_lines = sum(lines_by_path[p] for p in delivered)
        kind = "full build" if day == 0 else "increment"
        log(f"bench: run {day} ({kind}): {len(delivered)} file(s), {landing_lines:,} lines")
        started = time.perf_counter()
        steps = ours.run(tests)
        ours_wall = time.perf_counter() - started
        after_ours = _in_child(_row_counts, ours.db)
        if baseline_error is None:
            measured = measure([str(BIN / "lakehouse"), "baseline", "--db", str(baseline_db),
                                "--landing", str(landing), "--memory-limit", memory_limit,
                                "--threads", str(threads), "--json",
                                str(work / "baseline-run.json")])
            base = {"seconds": measured.seconds, "peak_rss_bytes": measured.peak_rss_bytes}
            if measured.returncode != 0:
                # ours goes on; the baseline's figures are NaN from here and gold is not compared
                output = measured.output or ""
                lines = output.strip().splitlines() or ["(no output)"]
                baseline_error = f"run {day}: " + next(
                    (line for line in reversed(lines) if "Error" in line), lines[-1])
                log(f"bench: baseline failed in {baseline_error}\n{output[-3000:]}")
        if baseline_error is None:
            base_run = json.loads((work / "baseline-run.json").read_text())
            after_base = _in_child(_row_counts, baseline_db)
        else:
            base = {"seconds": NAN, "peak_rss_bytes": 0}
            base_run = {"seconds": dict.fromkeys(LAYERS, NAN), "tables": {}}
            after_base = {}
        layer_steps = {s["step"]: s for s in steps}
        run = {
            "run": day, "kind": kind, "files": len(delivered), "landing_lines": landing_lines,
            "ours": {
                "wall_seconds": ours_wall,
                "steps": steps,
                "layers": {layer: {
                    "seconds": layer_steps[layer]["seconds"],
                    "net_seconds": layer_steps[layer]["net_seconds"],
                    "dbt_overhead_seconds": layer_steps[layer]["dbt_overhead_seconds"],
                    "peak_rss_bytes": layer_steps[layer]["peak_rss_bytes"],
                    **rows,
                } for layer, rows in _rows(counts["ours"], after_ours, landing_lines).items()},
                "peak_rss_bytes": max(s["peak_rss_bytes"] for s in steps),
            },
            "baseline": {
                "wall_seconds": base["seconds"],
                "peak_rss_bytes": base["peak_rss_bytes"],
                "layers": {layer: {"seconds": base_run["seconds"][layer], **rows}
                           for layer, rows in
                           _rows(counts["baseline"], after_base, landing_lines).items()},
                "tables": base_run["tables"],
            },
        }
        for side in ("ours", "baseline"):
            for layer in run[side]["layers"].values():
                seconds = layer.get("net_seconds", layer["seconds"])
                layer["rows_per_second"] = layer["rows_in"] / seconds if seconds else NAN
        run["ours"]["net_seconds"] = sum(run["ours"]["layers"][x]["net_seconds"] for x in LAYERS)
        run["ours"]["dbt_overhead_seconds"] = sum(
            run["ours"]["layers"][x]["dbt_overhead_seconds"] for x in LAYERS)
        run["ours"]["test_seconds"] = layer_steps["test"]["seconds"] if tests else None
        run["baseline"]["seconds"] = sum(base_run["seconds"].values())
        run["ratio"] = {layer: run["ours"]["layers"][layer]["net_seconds"]
                        / run["baseline"]["layers"][layer]["seconds"] for layer in LAYERS}
        run["ratio"]["total_net"] = run["ours"]["net_seconds"] / run["baseline"]["seconds"]
        run["ratio"]["total_with_dbt_overhead"] = (
            (run["ours"]["net_seconds"] + run["ours"]["dbt_overhead_seconds"])
            / run["baseline"]["seconds"])
        counts = {"ours": after_ours, "baseline": after_base}
        runs.append(run)
        log(f"bench: run {day}: ours {run['ours']['net_seconds']:.1f}s net "
            f"(+{run['ours']['dbt_overhead_seconds']:.1f}s dbt overhead), baseline "
            f"{run['baseline']['seconds']:.1f}s: {run['ratio']['total_net']:.2f}x")
        for target, other in others.items():
            started = time.perf_counter()
            other_steps = {s["step"]: s for s in other.run(tests)}
            net = sum(other_steps[x]["net_seconds"] for x in LAYERS)
            run[target] = {
                "wall_seconds": time.perf_counter() - started,
                "net_seconds": net,
                "dbt_overhead_seconds": sum(other_steps[x]["dbt_overhead_seconds"]
                                            for x in LAYERS),
                "test_seconds": other_steps["test"]["seconds"] if tests else None,
                "layers": {x: {"net_seconds": other_steps[x]["net_seconds"],
                               "slowest_nodes": other_steps[x]["slowest_nodes"]} for x in LAYERS},
                "peak_rss_bytes": max(s["peak_rss_bytes"] for s in other_steps.values()),
                "over_ours": net / run["ours"]["net_seconds"],
                "over_baseline": net / run["baseline"]["seconds"],
            }
            log(f"bench: run {day}: {target} {net:.1f}s net: "
                f"{run[target]['over_ours']:.2f}x ours (the DuckDB file)")
        if day in (0, days) and baseline_error is None:
            checks[f"run {day}"] = _in_child(compare_gold, ours.db, baseline_db)
        for target, other in others.items():
            if day in (0, days):
                checks[f"run {day}: {target}"] = _in_child(compare_gold, other.db, ours.db)
    return {
        "params": {"sf": sf, "days": days, "seed": seed, "change_scale": change_scale,
                   "memory_limit": memory_limit,
                   "threads": threads, "tests": tests, "lake_target": lake_target,
                   "engine": list(engines),
                   **({"cluster_workers": workers} if "spark_cluster" in engines else {})},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "generation": generation,
        "runs": runs,
        "baseline_error": baseline_error,
        "gold_identical": baseline_error is None and all(
            t["only_ours"] == 0 and t["only_baseline"] == 0
            for check in checks.values() for t in check.values()),
        "gold_checks": checks,
    }
