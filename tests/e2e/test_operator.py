"""What BI users and operators hit: every mistake is one line on stderr with what to do and a
non-zero exit; read-only commands wait for, or go around, a running build; servers stop with
the command that started them; the serving copy carries the descriptions; the dashboard shows
the latest publish and the latest data quality."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, free_port
from warehouse import Served

from lakehouse.config import PROJECT_DIR

# full runs, servers and Chromium

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"


def lakehouse(wh: Served, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**wh.env, **({"LAKEHOUSE_GENERATED": str(wh.generated)} if wh.generated else {})}
    return subprocess.run([str(LAKEHOUSE), *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, generated: Path,
              published_day1: Path) -> Served:
    return Served.copy(published_day1, tmp_path_factory.mktemp("operator"), generated)


def hold_lock(db: Path) -> subprocess.Popen[str]:
    """Another process holding the warehouse read-write, as a build does."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "time.sleep(float(sys.argv[2]))"), str(db), "8"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_mistakes_are_one_line_errors(tmp_path: Path, published: Served) -> None:
    empty = Served(tmp_path / "empty")
    one_line_error(lakehouse(empty, "history"), "lakehouse run")
    empty.generated = tmp_path / "nothing-generated"
    empty.generated.mkdir()
    env = {**empty.env, "LAKEHOUSE_GENERATED": str(empty.generated)}
    result = subprocess.run([str(LAKEHOUSE), "deliver", "--all"], env=env, capture_output=True,
                            text=True)
    one_line_error(result, "lakehouse generate")
    one_line_error(lakehouse(published, "deliver", "--day", "99"), "--day 99", "0..7")
    one_line_error(lakehouse(published, "time-travel", "--table", "customer_history",
                             "--as-of", "1998-08-05"), "customers_history", "dim_customer")
    one_line_error(lakehouse(published, "time-travel", "--table", "customers_history",
                             "--as-of", "1990-01-01"), "before the first version")
    one_line_error(lakehouse(published, "time-travel", "--table", "customers_history",
                             "--as-of", "yesterday-ish"), "not a timestamp")


def test_time_travel_on_a_dimension(published: Served) -> None:
    result = lakehouse(published, "time-travel", "--table", "dim_customer", "--as-of",
                       "1998-08-05 12:00", "--where", "customer_id = 1", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(result.stdout)["show"]
    assert len(rows) == 1 and rows[0]["customer_id"] == 1


def test_read_only_commands_wait_or_read_the_serving_copy(published: Served) -> None:
    holder = hold_lock(published.db)
    try:
        history = lakehouse(published, "history")
        assert history.returncode == 0, history.stderr
        run_id = published.served("select run_id from ops.published")[0][0]
        assert run_id in history.stdout and "last publish" in history.stderr
        started = time.monotonic()
        travel = lakehouse(published, "time-travel", "--table", "customers_history",
                           "--as-of", "1998-08-05 12:00", "--limit", "3")
        assert travel.returncode == 0, travel.stderr[-3000:]
        assert "waiting" in travel.stderr and time.monotonic() - started > 1
    finally:
        holder.wait()


def test_history_counts_models_not_nodes(published: Served) -> None:
    ok, models = published.sql("select models_ok, models from ops.run_history")[0]
    assert ok == sum(1 for m in json.loads(models)
                     if m["node"].startswith("model.") and m["status"] == "success")
    assert 0 < ok <= 70


def test_serving_copy_carries_descriptions(published: Served) -> None:
    def commented(con: duckdb.DuckDBPyConnection, database: str) -> int:
        return con.execute("select count(*) from duckdb_columns() where database_name = ? "
                           "and schema_name = 'gold' and comment is not null",
                           [database]).fetchone()[0]

    con = duckdb.connect()
    con.execute(f"attach '{published.db}' as warehouse (read_only)")
    con.execute(f"attach '{published.serving / 'lakehouse.duckdb'}' as serving (read_only)")
    assert commented(con, "serving") == commented(con, "warehouse") > 150
    assert con.execute("select comment from duckdb_tables() where database_name = 'serving' "
                       "and table_name = 'fct_order_line'").fetchone()[0].startswith("One row")
    meta = dict(con.execute(
        f"select decode(key), decode(value) from parquet_kv_metadata("
        f"'{published.serving / 'parquet' / 'dim_customer.parquet'}')").fetchall())
    assert meta["description"].startswith("One row")
    assert "customer_name" in json.loads(meta["column_descriptions"])


def test_data_quality_panel_shows_the_latest_run_that_checked_rows(published: Served) -> None:
    first = published.served("select run_id from ops.published")[0][0]
    # nothing new, built anyway (other variables: a run with nothing pending builds nothing
    # for the same ones): the build checks no rows
    published.run("--vars", json.dumps({"web_events_lookback_hours": 72}))
    assert published.one("select status from ops.run_history order by started_at desc "
                         "limit 1") == "success"
    latest = published.served("select run_id, model_name, rows_checked, failed_rows, "
                              "quarantined_rows from ops.dq_latest")
    assert {row[0] for row in latest} == {first}  # one run id, the run history's
    assert sum(row[2] for row in latest) > 0 and sum(row[3] for row in latest) > 0
    # rows the first run quarantined, per expectation they failed
    assert sum(row[4] for row in latest if row[1] == "order_lines") == published.one(
        "select count(*) from (select unnest(_failed_expectations) "
        "from silver.quarantine_order_lines where _run_id in (select unnest(dbt_invocations) "
        f"from ops.run_history where run_id = '{first}'))") > 0


def start(command: list[str], wh: Served) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=PROJECT_DIR, env=wh.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for(url: str) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered")


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_servers_stop_with_their_command(published: Served, sig: signal.Signals) -> None:
    for command, health in (
            (["dashboard", "--port"], "/healthz"),
            (["docs", "--serve", "--port"], "/")):
        port = free_port()
        cli = start([str(LAKEHOUSE), *command, str(port)], published)
        try:
            wait_for(f"http://127.0.0.1:{port}{health}")
            servers = children(cli.pid)
            assert servers
            cli.send_signal(sig)  # the command only, as a terminal or supervisor would
            cli.wait(30)
            deadline = time.monotonic() + 15
            while any(Path(f"/proc/{p}").exists() for p in servers):
                assert time.monotonic() < deadline, f"{command[0]} left its server running"
                time.sleep(0.2)
        finally:
            if cli.poll() is None:
                os.killpg(cli.pid, signal.SIGKILL)


def test_docs_prints_a_site_that_renders_from_disk(published: Served) -> None:
    result = lakehouse(published, "docs")
    assert result.returncode == 0, result.stderr[-2000:]
    site = published.root / "target" / "static_index.html"
    assert site.exists() and f"file://{site}" in result.stdout
    assert '"nodes"' in site.read_text()  # the manifest is inside the page


def test_operations_page_renders_every_panel(published: Served, tmp_path: Path) -> None:
    port = free_port()
    server = start([str(LAKEHOUSE), "dashboard", "--port", str(port)], published)
    panels = ("Runs over time by layer", "The ten most expensive models", "What each run cost",
              "Storage and its growth", "SLA status", "Open incidents", "Recent alerts")
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                 "--virtual-time-budget=30000", "--window-size=1400,2400"]
        dom = ""
        for _ in range(8):  # the app renders over a websocket after the page loads
            dom = subprocess.run([CHROMIUM, *flags, "--dump-dom",
                                  f"http://127.0.0.1:{port}/operations"], capture_output=True,
                                 text=True, timeout=120).stdout
            if all(panel in dom for panel in panels):
                break
        assert [panel for panel in panels if panel not in dom] == []
        assert "stException" not in dom  # no panel failed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def test_dashboard_shows_the_latest_publish(published: Served, tmp_path: Path) -> None:
    port = free_port()
    server = start([str(LAKEHOUSE), "dashboard", "--port", str(port)], published)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                 "--virtual-time-budget=30000", "--window-size=1400,2400"]

        def page() -> str:
            dom = ""
            for _ in range(8):  # the app renders over a websocket after the page loads
                dom = subprocess.run([CHROMIUM, *flags, "--dump-dom",
                                      f"http://127.0.0.1:{port}/"], capture_output=True,
                                     text=True, timeout=120).stdout
                if "Run history" in dom and "Showing run" in dom:
                    break
            return dom

        first = published.served("select run_id from ops.published")[0][0]
        assert f"Showing run {first}" in page()
        published.deliver(2)
        published.run()
        second = published.served("select run_id from ops.published")[0][0]
        assert second != first
        assert f"Showing run {second}" in page()  # same server, a new browser session
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
