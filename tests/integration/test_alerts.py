"""Alerts as code against real receivers on 127.0.0.1 (an HTTP webhook, an SMTP server): a
freshness SLA notifies once when breached, not again while it stays breached, once when it
clears; a destination that is down gets the notification when it comes back, and a process
killed between the evaluation and the notification neither loses nor repeats it; a broken alert
is one line. The warehouse is a DuckDB file with the run history a run writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest
import yaml
from browser import free_port
from receivers import Mailbox, Webhook

from lakehouse.build.run_history import DDL
from lakehouse.config import PROJECT_DIR
from lakehouse.ops import alerts
from lakehouse.ops.destinations import deliver

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
T0 = dt.datetime(2026, 1, 5, 6, 0)
MODEL = "model.lakehouse.fct_orders"


def record_run(db: Path, ended_at: dt.datetime, status: str = "success",
               models: list[dict] | None = None) -> None:
    con = duckdb.connect(str(db))
    con.execute(DDL)
    models = [{"node": MODEL, "status": "success", "seconds": 1.0}] if models is None else models
    con.execute("insert into ops.run_history (run_id, started_at, ended_at, status, models, "
                "dbt_invocations, published) values (?, ?, ?, ?, ?, [], true)",
                [f"run-{ended_at:%H%M%S}", ended_at - dt.timedelta(minutes=5), ended_at, status,
                 json.dumps(models)])
    con.close()


LOG = {"name": "log", "type": "log"}


def write_alerts(directory: Path, name: str, alert_list: list[dict],
                 destinations: Sequence[dict] = (LOG,)) -> Path:
    """`directory/name` (made if missing): the alerts file a team writes."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(yaml.safe_dump({"destinations": list(destinations),
                                                  "alerts": alert_list}))
    return directory


def declare(directory: Path, smtp: bool = True, sla: str = "1h") -> Path:
    """A freshness SLA of `sla` on fct_orders, to a webhook ($TEST_WEBHOOK_URL), e-mail, a log."""
    destinations = [{"name": "data-eng", "type": "webhook", "url": "${TEST_WEBHOOK_URL}"}, LOG]
    if smtp:
        destinations.append({"name": "owner", "type": "email", "to": ["owner@example.com"]})
    return write_alerts(directory, "team.yml", [
        {"name": "orders_stale", "builtin": "freshness", "severity": "critical",
         "owner": "data-eng", "params": {"slas": {"fct_orders": sla}},
         "destinations": ["data-eng", *(["owner"] if smtp else [])]}], destinations)


MANIFEST = {"nodes": {MODEL: {"unique_id": MODEL, "name": "fct_orders", "resource_type": "model",
                              "config": {"meta": {}}, "depends_on": {"nodes": []}}},
            "exposures": {}}


def test_a_breached_sla_notifies_once_and_its_resolution_once(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "warehouse.duckdb"
    record_run(db, T0)
    with Webhook() as hook, Mailbox() as box:
        monkeypatch.setenv("LAKEHOUSE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LAKEHOUSE_SMTP_PORT", str(box.port))
        monkeypatch.setenv("TEST_WEBHOOK_URL", hook.url)
        config = alerts.load(declare(tmp_path / "alerts"))
        alerts.validate(config, db, MANIFEST)
        states = []
        for minutes in (30, 90, 120, 150, 180):  # breached from 60 minutes on
            at = T0 + dt.timedelta(minutes=minutes)
            states.append(alerts.evaluate(db, config, MANIFEST, now=at)[0].state)
            deliver(db, config)
        assert states == ["OK", "TRIGGERED", "TRIGGERED", "TRIGGERED", "TRIGGERED"]
        assert [m["transition"] for m in hook.received] == ["triggered"]
        assert "orders_stale TRIGGERED" in hook.received[0]["text"]
        assert hook.received[0]["detail"].startswith("name=fct_orders, age_seconds=5400")
        assert len(box.received) == 1 and "orders_stale" in box.received[0]["Subject"]
        # a run builds the table: fresh again, one resolution to each destination
        record_run(db, T0 + dt.timedelta(minutes=185))
        assert alerts.evaluate(db, config, MANIFEST,
                               now=T0 + dt.timedelta(minutes=190))[0].transition == "resolved"
        deliver(db, config)
        assert [m["transition"] for m in hook.received] == ["triggered", "resolved"]
        assert len(box.received) == 2
    con = duckdb.connect(str(db))
    assert con.execute("select count(*), count(resolved_at), any_value(resolved_by) "
                       "from ops.incidents").fetchone() == (1, 1, "alert cleared")
    assert con.execute("select count(*) from ops.alert_history").fetchone()[0] == 6
    con.close()


def check(env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([str(LAKEHOUSE), "alerts", "check"], cwd=PROJECT_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kwargs)  # type: ignore[call-overload]


def test_a_destination_down_gets_the_notification_when_it_comes_back(tmp_path: Path) -> None:
    """The receiver is down when the alert triggers, and the process is killed (-9) right after
    the evaluation is recorded: the next check sends the notification, once."""
    db = tmp_path / "warehouse.duckdb"
    record_run(db, dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=2))
    port = free_port()
    directory = declare(tmp_path / "alerts", smtp=False)
    env = {**os.environ, "LAKEHOUSE_DB": str(db), "LAKEHOUSE_ALERTS": str(directory),
           "DBT_TARGET_PATH": str(tmp_path / "target"),
           "TEST_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook"}
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(MANIFEST))
    process = check(env)
    assert process.stdout is not None
    for line in process.stdout:  # said after the evaluation's commit, before any delivery
        if "alert orders_stale triggered" in line:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(30)
    assert process.returncode == -signal.SIGKILL
    con = duckdb.connect(str(db))
    assert con.execute("select state from ops.alert_state").fetchall() == [("TRIGGERED",)]
    assert con.execute("select destination, status from ops.notifications "
                       "order by destination").fetchall() == [("data-eng", "pending")]
    con.close()
    # still down: the delivery fails, is recorded, and the check succeeds
    done = check(env)
    out, _ = done.communicate(timeout=60)
    assert done.returncode == 0, out
    assert "notifications: 0 sent, 1 failed" in out
    with Webhook(port) as hook:
        for _ in range(2):  # the receiver is back: sent once, then nothing more to send
            done = check(env)
            out, _ = done.communicate(timeout=60)
            assert done.returncode == 0, out
        assert [m["alert"] for m in hook.received] == ["orders_stale"]
    con = duckdb.connect(str(db))
    assert con.execute("select status, attempts, last_error is null from ops.notifications "
                       "").fetchall() == [("sent", 2, True)]
    assert con.execute("select count(*) from ops.incidents where resolved_at is null"
                       ).fetchone()[0] == 1
    con.close()


@pytest.mark.parametrize(("entry", "problem"), [
    ({"sql": "select count(*) from gold.no_such_table", "condition":
      {"operator": ">", "threshold": 0}}, "alert broken: Catalog Error"),
    ({"sql": "select count(* from ops.run_history", "condition": {"any_row": True}},
     "alert broken: Parser Error"),
    ({"sql": "select 1", "condition": {"any_row": True}, "destinations": ["pager"]},
     "alert broken: unknown destination 'pager'"),
    ({"builtin": "freshness", "params": {"slas": {"fct_nothing": "1h"}}},
     "alert broken: SLA on 'fct_nothing', which is no model or exposure"),
    ({"builtin": "no_such_builtin"}, "alert broken: unknown builtin 'no_such_builtin'"),
    ({"sql": "select 1", "condition": {"operator": "~", "threshold": 1}},
     "alert broken: condition needs an operator"),
])
def test_a_broken_alert_is_one_line_naming_its_file(tmp_path: Path, entry: dict,
                                                   problem: str) -> None:
    db = tmp_path / "warehouse.duckdb"
    record_run(db, T0)
    directory = write_alerts(tmp_path / "alerts", "broken.yml",
                             [{"name": "broken", "destinations": ["log"], **entry}])
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text(json.dumps(MANIFEST))
    env = {**os.environ, "LAKEHOUSE_DB": str(db), "LAKEHOUSE_ALERTS": str(directory),
           "DBT_TARGET_PATH": str(tmp_path / "target")}
    result = subprocess.run([str(LAKEHOUSE), "alerts", "validate"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lakehouse: alerts/broken.yml: "), lines
    assert problem in lines[0]


def test_an_alert_over_a_model_not_built_yet_waits_for_it(tmp_path: Path) -> None:
    # a warehouse built before the project added the model the alert reads (an upgrade): the
    # alert is valid and has nothing to say until a build makes the table; a table the project
    # does not build is still a broken alert
    db = tmp_path / "warehouse.duckdb"
    record_run(db, T0)
    directory = write_alerts(tmp_path / "alerts", "realtime.yml", [
        {"name": "abandoned", "sql": "select * from gold.fct_cart_abandonments",
         "condition": {"any_row": True}, "destinations": ["log"]}])
    config = alerts.load(directory)
    alerts.validate(config, db, MANIFEST)
    (evaluation,) = alerts.evaluate(db, config, MANIFEST)
    assert (evaluation.state, evaluation.error) == ("OK", None)
    config = alerts.load(write_alerts(directory, "realtime.yml", [
        {"name": "typo", "sql": "select * from gold.fct_cart_abandonment",
         "condition": {"any_row": True}, "destinations": ["log"]}]))
    with pytest.raises(alerts.AlertConfigError, match=r"alert typo: Catalog Error: .*_abandonment"):
        alerts.validate(config, db, MANIFEST)


def test_an_unset_secret_is_named(tmp_path: Path) -> None:
    directory = write_alerts(
        tmp_path / "alerts", "team.yml",
        [{"name": "failed", "builtin": "run_failed", "destinations": ["owner"]}],
        [{"name": "owner", "type": "email", "to": ["o@example.com"]}])
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_SMTP")}
    result = subprocess.run([str(LAKEHOUSE), "alerts", "validate"], cwd=PROJECT_DIR,
                            env={**env, "LAKEHOUSE_ALERTS": str(directory),
                                 "LAKEHOUSE_DB": str(tmp_path / "warehouse.duckdb")},
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == ("lakehouse: alerts/team.yml: destination owner: "
                                     "LAKEHOUSE_SMTP_HOST is not set")


def test_incidents_before_any_evaluation_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    record_run(db, T0)  # a warehouse that ran, with no alert evaluated yet
    result = subprocess.run([str(LAKEHOUSE), "incidents"], cwd=PROJECT_DIR,
                            env={**os.environ, "LAKEHOUSE_DB": str(db)},
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == ("lakehouse: no alert has been evaluated yet "
                                     "(`lakehouse alerts check`)")


def test_each_freshness_alert_watches_its_own_slas(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    record_run(db, T0)
    directory = write_alerts(tmp_path / "alerts", "team.yml", [
        {"name": f"orders_within_{sla}", "builtin": "freshness",
         "params": {"slas": {"fct_orders": sla}}, "destinations": ["log"]}
        for sla in ("1h", "3h")])
    config = alerts.load(directory)
    states = {e.alert.name: e.state for e in
              alerts.evaluate(db, config, MANIFEST, now=T0 + dt.timedelta(hours=2))}
    assert states == {"orders_within_1h": "TRIGGERED", "orders_within_3h": "OK"}
