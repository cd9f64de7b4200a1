"""Workflows on Dagster: the code location loads with every dbt node as an asset and every test
as a check; the file-arrival sensor asks for one run per arrival and none once it ran; the job
builds and publishes what `lakehouse run` would (the same gold), records its run id in
ops.run_history, retries a warehouse locked by another process, and stops before publishing at a
failing gate; `lakehouse orchestrate` serves the UI on 127.0.0.1, its daemon runs the job when a
day of files lands, and nothing it started outlives it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from multiprocessing import resource_tracker
from pathlib import Path

import dagster as dg
import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, free_port
from warehouse import LAKEHOUSE, Served

from lakehouse.apps.orchestration.definitions import (
    JOB,
    PUBLISHED,
    STEP,
    WAREHOUSE_TAG,
    build_definitions,
)
from lakehouse.bench.pipeline import compare_gold
from lakehouse.build.pipeline import SCORING_TAG, Run
from lakehouse.config import PROJECT_DIR


class Flow(Served):
    """A warehouse that the Dagster job builds, in this process (as the daemon's run worker
    would), on its own Dagster instance."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "DAGSTER_HOME": str(self.root / "dagster")}


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Iterator[Flow]:
    flow = Flow(tmp_path_factory.mktemp("flow"), generated)
    (flow.root / "dagster").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in flow.env.items():
            patch.setenv(name, value)
        flow.defs = build_definitions()
        flow.instance = dg.DagsterInstance.ephemeral()
        yield flow
    # the instance started multiprocessing's resource tracker, which would outlive the test
    # until pytest exits (the session's guard counts it as a leftover process)
    resource_tracker._resource_tracker._stop()  # type: ignore[attr-defined]


def tick(flow: Flow) -> dg.RunRequest | dg.SkipReason:
    sensor = flow.defs.resolve_sensor_def("landing_files")
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=flow.instance))
    assert len(result.run_requests or []) <= 1
    return result.run_requests[0] if result.run_requests else dg.SkipReason(result.skip_message)


def execute(flow: Flow, **config: object) -> dg.ExecuteInProcessResult:
    job = flow.defs.resolve_job_def(JOB)
    run_config = {"ops": {STEP: {"config": config}}} if config else None
    return job.execute_in_process(instance=flow.instance, run_config=run_config,
                                  raise_on_error=False)


def manifest() -> dict:
    from lakehouse.apps.orchestration.definitions import manifest_path

    return json.loads(manifest_path().read_text())


def test_definitions_load_with_every_node_test_and_feed(flow: Flow) -> None:
    dg.Definitions.validate_loadable(flow.defs)
    graph = flow.defs.resolve_asset_graph()
    nodes = manifest()
    built = {(n["config"]["schema"], n["name"]) for n in nodes["nodes"].values()
             if n["resource_type"] in ("model", "seed", "snapshot")}
    keys = {tuple(k.path) for k in graph.materializable_asset_keys}
    assert {(s, n) for s, n in built} <= keys
    assert keys - built == {tuple(PUBLISHED.path)}
    # the landing feeds and the CRM table: external sources upstream of bronze
    sources = {tuple(k.path) for k in graph.external_asset_keys}
    assert {("landing", s["name"]) for s in nodes["sources"].values()
            if s["source_name"] == "landing"} <= sources
    assert graph.get(dg.AssetKey(["bronze", "cdc_orders"])).parent_keys >= {
        dg.AssetKey(["landing", "cdc_orders"])}
    # every test on one node is a check on that node's asset
    checks = {(tuple(k.asset_key.path), k.name) for k in graph.asset_check_keys}
    tested = [(nodes["nodes"][t["attached_node"]], t["name"]) for t in nodes["nodes"].values()
              if t["resource_type"] == "test" and t.get("attached_node")]
    assert tested and all(((node["config"]["schema"], node["name"]), name) in checks
                          for node, name in tested)
    # the publication is downstream of every gold table
    gold = {dg.AssetKey(["gold", n]) for s, n in built if s == "gold"}
    assert graph.get(PUBLISHED).parent_keys == gold
    assert flow.defs.resolve_schedule_def("daily").cron_schedule == "0 6 * * *"
    assert flow.defs.resolve_schedule_def("alerts").job_name == "alerts_check"
    # retraining without a person: weekly, and when an ML alert triggers
    assert flow.defs.resolve_schedule_def("ml_weekly").job_name == "ml_retrain"
    assert flow.defs.resolve_sensor_def("ml_alerts").job_name == "ml_retrain"
    # and the gate, as soon as a waiting challenger's lines have their labels
    assert flow.defs.resolve_sensor_def("ml_challenger_labels").job_name == "ml_promote"


def test_one_run_writes_the_warehouse_at_a_time(flow: Flow) -> None:
    """The job's runs carry the warehouse tag; the instance `lakehouse orchestrate` runs on
    queues them so that one runs at a time (the others wait, none is dropped)."""
    from lakehouse.apps.orchestration.instance import dagster_home

    [(tag, value)] = WAREHOUSE_TAG.items()
    assert flow.defs.resolve_job_def(JOB).tags[tag] == value
    instance = dg.DagsterInstance.from_config(str(dagster_home()))
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": tag, "value": value, "limit": 1} in limits
    finally:
        instance.dispose()


def test_an_arrival_starts_one_run_that_builds_and_publishes_it(
        flow: Flow, published_day1: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a tick forced into the window between the end of the build's dbt and the run's row in
    # ops.run_history (bronze holds the run's files, no recorded run lists them yet)
    in_window: list[dg.RunRequest | dg.SkipReason] = []
    succeed = Run.succeed

    def tick_then_succeed(run: Run, published: bool) -> None:
        in_window.append(tick(flow))
        succeed(run, published)

    monkeypatch.setattr(Run, "succeed", tick_then_succeed)
    for day in (0, 1):
        flow.deliver(day)
        request = tick(flow)
        assert isinstance(request, dg.RunRequest)
        again = tick(flow)  # a tick while the run waits asks for the same run (the same key)
        assert isinstance(again, dg.RunRequest) and again.run_key == request.run_key
        result = execute(flow)
        assert result.success
        # one arrival, one run: the tick in the window asked for none (not a `files=0` run
        # that would end `no_changes`)
        assert len(in_window) == 1 and isinstance(in_window[0], dg.SkipReason), in_window
        assert "in progress" in str(in_window.pop().skip_message)
        # every model, seed and snapshot materialized on the first run, and the publication;
        # but scoring, which waits for a trained model (`lakehouse train`)
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        graph = flow.defs.resolve_asset_graph()
        scoring = {dg.AssetKey([n["config"]["schema"], n["name"]])
                   for n in manifest()["nodes"].values() if SCORING_TAG in n["tags"]}
        assert scoring
        if day == 0:
            assert materialized == set(graph.materializable_asset_keys) - scoring
        assert PUBLISHED in materialized
        evaluations = result.get_asset_check_evaluations()
        assert evaluations and all(e.passed or e.severity == dg.AssetCheckSeverity.WARN
                                   for e in evaluations)
        # recorded under the Dagster run id, published
        assert flow.sql("select status, published from ops.run_history where run_id = "
                        f"'{result.run_id}'") == [("success", True)]
        assert isinstance(tick(flow), dg.SkipReason)  # it ran: nothing pending, no new run
    # the same gold as `lakehouse run` on the same files (days 0 and 1, in one run)
    compared = compare_gold(flow.db, Served(published_day1, flow.generated).db)
    assert compared and all(c["only_ours"] == c["only_baseline"] == 0
                            for c in compared.values()), compared
    assert (flow.serving / "lakehouse.duckdb").exists()


def test_a_warehouse_locked_by_another_process_is_retried(flow: Flow) -> None:
    flow.deliver(2)
    # a process holds the DuckDB file read-write (as a second `lakehouse run` or a BI tool
    # would) for the first attempt, then lets go
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(6)", str(flow.db)],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = execute(flow, docs=False)
    finally:
        holder.wait(30)
    assert result.success
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried, "the locked warehouse was not retried"
    assert flow.one("select status from ops.run_history where run_id = "
                    f"'{result.run_id}'") == "success"


def test_a_failing_gate_stops_the_run_before_publishing(flow: Flow) -> None:
    flow.deliver(3)
    published = (flow.serving / "lakehouse.duckdb").stat().st_mtime_ns
    # a run on demand whose variables make an expectation fail: the generator's lines with a
    # non-positive quantity violate it
    result = execute(flow, variables=json.dumps(
        {"expectation_actions": {"order_lines.positive_quantity": "fail"}}))
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == STEP
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert PUBLISHED not in materialized
    assert (flow.serving / "lakehouse.duckdb").stat().st_mtime_ns == published
    status, failed_because = flow.sql("select status, failure from ops.run_history where "
                                      f"run_id = '{result.run_id}'")[0]
    assert status == "failed" and "positive_quantity" in failed_because
    # bronze holds the day: the sensor does not start the same failure again; the next run
    # (from the UI, or the schedule) rebuilds from it, as after any failed run
    assert isinstance(tick(flow), dg.SkipReason)
    catalog = flow.root / "target" / "catalog.json"
    documented = catalog.stat().st_mtime_ns
    result = execute(flow, docs=False)  # (as `lakehouse run --no-docs`: the docs as they were)
    assert result.success and PUBLISHED in {
        e.asset_key for e in result.get_asset_materialization_events()}
    assert catalog.stat().st_mtime_ns == documented
    assert (flow.serving / "lakehouse.duckdb").stat().st_mtime_ns != published
    assert flow.sql(f"select status from ops.run_history where run_id = '{result.run_id}'") == [
        ("success",)]


def processes_of(home: Path) -> list[int]:
    """The processes running on the Dagster instance `home` (its UI, daemon, code server, run
    workers and their dbt children all inherit DAGSTER_HOME), but this test's own children
    (the fixture's instance runs multiprocessing's resource tracker with the same variable)."""
    mark = f"DAGSTER_HOME={home}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent != os.getpid() and mark in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
    return found


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                     data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


def test_orchestrate_runs_a_landed_day_with_no_manual_step(flow: Flow, tmp_path: Path) -> None:
    wh = flow  # the warehouse the tests above built (a day's increment is quicker than day 0)
    earlier = {r[0] for r in wh.sql("select run_id from ops.run_history")}
    catalog = wh.root / "target" / "catalog.json"
    documented = catalog.stat().st_mtime_ns
    port = free_port()
    server = subprocess.Popen([str(LAKEHOUSE), "orchestrate", "--port", str(port)],
                              cwd=PROJECT_DIR, env=wh.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/server_info", timeout=2):
                break
            time.sleep(1)
        else:
            raise AssertionError("the Dagster UI did not answer on 127.0.0.1")
        wh.deliver(4)  # files land; the daemon's sensor sees them, the run builds and publishes
        deadline = time.monotonic() + 420
        runs: list = []
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                runs = [r for r in wh.sql("select run_id from ops.run_history where "
                                          "status = 'success' and published")
                        if r[0] not in earlier]
            if runs:
                break
            time.sleep(3)
        assert runs, "no run built and published the landed day"
        # the run is the Dagster run the UI shows, launched by the sensor
        # (ops.run_history marks it published as publishing starts: wait for the run's end)
        deadline = time.monotonic() + 180
        while True:
            data = graphql(port, '{ runsOrError { ... on Runs { results { runId status '
                                 'jobName tags { key value } } } } }')
            shown = {r["runId"]: r for r in data["runsOrError"]["results"]}
            assert runs[0][0] in shown
            if shown[runs[0][0]]["status"] != "STARTED" or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert shown[runs[0][0]]["status"] == "SUCCESS"
        assert {"key": "dagster/sensor_name", "value": "landing_files"} in \
            shown[runs[0][0]]["tags"]
        assert catalog.stat().st_mtime_ns != documented  # the docs, by default
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                 "--virtual-time-budget=30000", "--window-size=1400,1000"]
        dom = subprocess.run([CHROMIUM, *flags, "--dump-dom",
                              f"http://127.0.0.1:{port}/jobs/{JOB}"],
                             capture_output=True, text=True, timeout=180).stdout
        assert JOB in dom
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: the command stops what it started
        server.wait(60)
        # what `lakehouse orchestrate` started is gone when it returns (its process group); a
        # process outside the group gets a grace period to notice that its parent went away
        deadline = time.monotonic() + 20
        while (left := processes_of(wh.root / "dagster")) and time.monotonic() < deadline:
            time.sleep(1)
        commands = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:200]
                    for pid in left if Path(f"/proc/{pid}/cmdline").exists()}
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of `lakehouse orchestrate` outlived it: {commands}"
