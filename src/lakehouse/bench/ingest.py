"""Ingestion benchmark: the cost of one new landing file on top of N already-ingested files.

For each N, a fresh warehouse ingests N clickstream files (untimed), then `repeats` times a new
file lands and `dbt run --select +web_events_raw` takes it. Reported per N: the model's own time
(dbt's run_results.json, without dbt's start-up), the whole command's wall time, rows/s, and the
ratio of the model time to the smallest N's, measured in the same run. Auto Loader's promise is
that this ratio stays near 1: a run costs what is new, not what is already there.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from lakehouse.dbt import Dbt


def _write_events(path: Path, file_no: int, lines: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (
        json.dumps({"event_id": f"bench-{file_no}-{i}", "event_type": "page_view",
                    "session_id": f"s-{file_no}-{i // 5}", "customer_key": i % 1500 or None,
                    "part_key": i % 2000 + 1, "ts": f"1998-08-03T{i % 24:02d}:00:00.000Z"},
                   separators=(",", ":"))
        for i in range(lines)
    )
    path.write_text("\n".join(rows) + "\n")


def _run(root: Path) -> tuple[float, float]:
    run = Dbt.scratch(root, root / "landing", root / "warehouse.duckdb").run(
        "run", "--select", "+web_events_raw", "--quiet")
    model = next(r for r in run.nodes if r["unique_id"].endswith(".web_events_raw"))
    return model["execution_time"], run.seconds


def bench_ingest(sizes: list[int], lines: int = 1000, repeats: int = 3,
                 log=print) -> list[dict]:
    out = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{n}-") as tmp:
            root = Path(tmp)
            for i in range(n):
                _write_events(root / "landing" / "events" / "1998-08-03" / f"{i:05d}.jsonl", i, lines)
            log(f"bench-ingest: N={n}: ingesting {n} files (untimed)")
            _run(root)
            model_times, walls = [], []
            for r in range(repeats):
                _write_events(root / "landing" / "events" / "1998-08-04" / f"{r:05d}.jsonl",
                              n + r, lines)
                model, wall = _run(root)
                model_times.append(model)
                walls.append(wall)
            out.append({"n_ingested": n, "new_files": 1, "rows_per_file": lines,
                        "model_seconds": statistics.median(model_times),
                        "wall_seconds": statistics.median(walls),
                        "rows_per_second": lines / statistics.median(model_times)})
            log(f"bench-ingest: N={n}: {out[-1]['model_seconds']:.3f}s model, "
                f"{out[-1]['wall_seconds']:.2f}s wall")
    base = out[0]["model_seconds"]
    for row in out:
        row["ratio_to_smallest_n"] = row["model_seconds"] / base
    return out


def report(rows: list[dict]) -> str:
    lines = ["| files already ingested (N) | model s / run (median) | wall s / run | rows/s "
             "| model time vs smallest N |", "| ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['n_ingested']} | {r['model_seconds']:.3f} | {r['wall_seconds']:.2f} | "
              f"{r['rows_per_second']:,.0f} | {r['ratio_to_smallest_n']:.2f}x |" for r in rows]
    return "\n".join(lines)
