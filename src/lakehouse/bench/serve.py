"""Serving benchmark (`lakehouse bench-serve`): what the endpoint (`lakehouse serve-model`)
costs over the same model's in-process `predict_proba` on the same rows, in one run.

On the warehouse of the environment (a published feature table and a `champion`, as `lakehouse
train` leaves them): the open order lines' features are read once; then, for single records and
for batches of `batch` records, `requests` sequential requests to `/invocations` (one client,
keep-alive, JSON `dataframe_split`) and as many calls of the loaded model in this process,
each timed. Reported per kind: latency p50/p99, requests and records per second, and the ratio
of the endpoint's p50 to the in-process call's (the anchor). The endpoint's answers are
checked against the in-process ones (equal, or the run fails). The endpoint logs its requests
as it does in production (the inference log's write is in its latency), into a temporary
landing zone.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lakehouse import log as log_line
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.errors import UserError


def _figures(seconds: list[float], records: int) -> dict:
    total = sum(seconds)
    percentiles = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"requests": len(seconds), "p50_ms": round(percentiles[49] * 1000, 3),
            "p99_ms": round(percentiles[98] * 1000, 3),
            "mean_ms": round(statistics.fmean(seconds) * 1000, 3),
            "requests_per_second": round(len(seconds) / total, 1),
            "records_per_second": round(len(seconds) * records / total, 1)}


def bench_serve(settings: Settings, requests: int = 500, batch: int = 100,
                log: Callable[[str], None] = log_line) -> dict:
    from lakehouse.build.publish import SERVING_DB, connect_serving
    from lakehouse.ml.serving import Loaded, feature_columns, features_frame, predict
    from lakehouse.ml.training import (
        FEATURES,
        FEATURES_TABLE,
        champion_version,
        load_version,
        model_name,
    )

    name, uri = model_name(), settings.tracking_uri
    version = champion_version(uri, name)
    path = settings.serving_dir / SERVING_DB
    if version is None or not path.exists():
        raise UserError("bench-serve needs published gold and a `champion` model: run "
                        "`lakehouse run` and `lakehouse train` first")
    con = connect_serving(path)
    try:
        rows = con.execute(
            f"select {feature_columns()} from {FEATURES_TABLE} "
            f"order by order_id, line_number limit {max(requests, batch)}"
        ).fetchall()
    finally:
        con.close()
    records = [dict(zip(FEATURES, r, strict=True)) for r in rows]
    loaded = Loaded(name, version, load_version(uri, name, version))
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    # the endpoint logs every request, as in production (its cost is measured), but into a
    # landing zone of its own: the bench's traffic is not the model's to monitor
    log_landing = tempfile.TemporaryDirectory(prefix="bench-serve-")
    server = subprocess.Popen([str(Path(sys.executable).parent / "lakehouse"), "serve-model",
                               "--port", str(port)], cwd=PROJECT_DIR,
                              env={**os.environ, "LAKEHOUSE_LANDING": log_landing.name},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    result: dict = {"model": name, "version": version, "requests": requests, "batch": batch,
                    "cpu": os.cpu_count(), "kinds": {}}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/ping")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise UserError("the endpoint did not start") from None
                time.sleep(0.3)
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for kind, size in (("single record", 1), (f"batch of {batch}", batch)):
            chunks = [records[(n * size) % len(records):][:size] or records[:size]
                      for n in range(requests)]
            client.request("POST", "/invocations", json.dumps(  # the model loads: untimed
                {"dataframe_records": chunks[0]}), {"Content-Type": "application/json"})
            client.getresponse().read()
            served, local, answers, expected = [], [], [], []
            for chunk in chunks:
                body = json.dumps({"dataframe_split": {
                    "columns": list(FEATURES), "data": [[r[f] for f in FEATURES] for r in chunk]}})
                started = time.perf_counter()
                client.request("POST", "/invocations", body,
                               {"Content-Type": "application/json"})
                response = client.getresponse()
                text = response.read()
                served.append(time.perf_counter() - started)
                if response.status != 200:
                    raise UserError(f"the endpoint answered {response.status}: {text[:200]!r}")
                answers.append(json.loads(text)["predictions"])
                frame = features_frame(chunk)  # the anchor: the model's call alone
                started = time.perf_counter()
                expected.append(predict(loaded, frame))
                local.append(time.perf_counter() - started)
            if answers != expected:
                raise UserError(f"{kind}: the endpoint's predictions differ from the model's")
            endpoint, in_process = _figures(served, size), _figures(local, size)
            result["kinds"][kind] = {
                "endpoint": endpoint, "in_process": in_process,
                "p50_ratio": round(endpoint["p50_ms"] / in_process["p50_ms"], 2)}
            log(f"bench-serve: {kind}: endpoint p50 {endpoint['p50_ms']} ms, in process "
                f"{in_process['p50_ms']} ms")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log_landing.cleanup()
    return result


def report(result: dict) -> str:
    lines = [f"# Serving benchmark ({result['model']} version {result['version']}, "
             f"{result['requests']} sequential requests per kind, {result['cpu']} CPUs)", "",
             "| kind | endpoint p50 (ms) | p99 (ms) | requests/s | records/s | in-process p50 "
             "(ms) | p99 (ms) | records/s | endpoint / in-process (p50) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind, k in result["kinds"].items():
        e, i = k["endpoint"], k["in_process"]
        lines.append(f"| {kind} | {e['p50_ms']} | {e['p99_ms']} | {e['requests_per_second']} | "
                     f"{e['records_per_second']} | {i['p50_ms']} | {i['p99_ms']} | "
                     f"{i['records_per_second']} | {k['p50_ratio']} |")
    return "\n".join(lines)
