"""The built-in alerts after real `lakehouse run`s, to a real webhook on 127.0.0.1: a failed run
(with the failing model and expectation), a quarantined landing file and a model five times
slower than its median each trigger their alert once, and a run that succeeds resolves the
failed-run alert; every evaluation is in ops.alert_history, in the serving copy too."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml
from receivers import Webhook
from warehouse import Served

ALERTS = {
    "destinations": [{"name": "data-eng", "type": "webhook", "url": "${TEST_WEBHOOK_URL}"},
                     {"name": "log", "type": "log"}],
    "alerts": [
        {"name": "run_failed", "builtin": "run_failed", "severity": "critical",
         "owner": "data-eng", "destinations": ["data-eng", "log"]},
        # named apart from the shipped alert (alerts/platform.yml), whose state the published
        # warehouse holds: TRIGGERED by day 1's malformed web events, so it would not notify
        {"name": "quarantined_landing_files", "builtin": "files_quarantined",
         "severity": "warning", "owner": "data-eng", "destinations": ["data-eng"]},
        # the fixture's earlier runs took a hundredth of the time: five times slower and more
        {"name": "slow_model", "builtin": "slow_model", "severity": "info", "owner": "data-eng",
         "params": {"factor": 5, "min_runs": 3, "min_seconds": 0},
         "destinations": ["data-eng"]},
    ],
}


class Alerted(Served):
    """A published warehouse whose runs evaluate the alerts above, to `hook_url`."""

    hook_url = ""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "LAKEHOUSE_ALERTS": str(self.root / "alerts"),
                "TEST_WEBHOOK_URL": self.hook_url}


def earlier_fast_runs(wh: Served, count: int = 4) -> None:
    """`count` successful runs before the published one, every model a hundred times faster."""
    con = duckdb.connect(str(wh.db))
    started, models = con.execute("select started_at, models from ops.run_history "
                                  "where status = 'success' order by started_at limit 1").fetchone()
    fast = [{**m, "seconds": m["seconds"] / 100} for m in json.loads(models)]
    for n in range(1, count + 1):
        at = started - dt.timedelta(days=n)
        con.execute("insert into ops.run_history (run_id, started_at, ended_at, status, models, "
                    "dbt_invocations, published) values (?, ?, ?, 'success', ?, [], false)",
                    [f"earlier-{n}", at, at + dt.timedelta(minutes=1), json.dumps(fast)])
    con.close()


@pytest.fixture
def wh(tmp_path: Path, generated: Path, published_day1: Path) -> Alerted:
    wh = Alerted.copy(published_day1, tmp_path / "warehouse", generated)
    assert isinstance(wh, Alerted)
    (wh.root / "alerts").mkdir()
    (wh.root / "alerts" / "team.yml").write_text(yaml.safe_dump(ALERTS))
    earlier_fast_runs(wh)
    return wh


def test_built_in_alerts_follow_the_runs(wh: Alerted) -> None:
    with Webhook() as hook:
        wh.hook_url = hook.url
        # a run that fails: an expectation escalated to fail, violated by a line of day 2
        wh.deliver(3)
        fail = json.dumps({"expectation_actions": {"order_lines.positive_quantity": "fail"}})
        failed = wh.run("--vars", fail, check=False)
        assert failed.returncode == 1
        assert "lakehouse: alert: [CRITICAL] run_failed TRIGGERED" in failed.stdout
        triggered = {m["alert"]: m for m in hook.received if m["transition"] == "triggered"}
        assert {"run_failed", "slow_model"} <= set(triggered)
        assert "order_lines" in triggered["run_failed"]["detail"]
        assert "positive_quantity" in triggered["run_failed"]["detail"]
        assert triggered["slow_model"]["detail"].startswith("node=model.lakehouse.")
        # a run that succeeds, with a file that cannot be read among the new ones
        day = sorted((wh.landing / "cdc" / "orders").iterdir())[-1]
        (day / "0900.jsonl").write_bytes(bytes(range(256)) * 64)
        wh.run()
        received = [(m["alert"], m["transition"]) for m in hook.received]
    assert received.count(("run_failed", "triggered")) == 1
    assert received.count(("run_failed", "resolved")) == 1
    # the generator's malformed web events of days 2 and 3 trigger it in the failed run; the
    # unreadable file keeps it triggered (no second notification) and is in the history
    assert received.count(("quarantined_landing_files", "triggered")) == 1
    assert received.count(("slow_model", "triggered")) == 1
    con = duckdb.connect(str(wh.db), read_only=True)
    quarantined = con.execute("select detail from ops.alert_history where alert = "
                              "'quarantined_landing_files' order by evaluated_at desc "
                              "limit 1").fetchone()
    assert "0900.jsonl" in quarantined[0]
    assert con.execute("select count(*) from ops.incidents where alert = 'run_failed' "
                       "and resolved_by = 'alert cleared'").fetchone()[0] == 1
    # what each run cost: its dbt processes' CPU and peak memory
    assert con.execute("select bool_and(cpu_seconds > 1 and peak_rss_bytes > 50e6) from "
                       "ops.run_history where dbt_invocations <> []").fetchone()[0]
    # and what each run that built left on disk, table by table (the failed run's too)
    built = con.execute("select count(*) from ops.run_history "
                        "where dbt_invocations <> []").fetchone()[0]
    assert con.execute("select count(distinct run_id) from ops.table_storage where "
                       "table_name = 'fct_order_line' and bytes > 0 and row_count > 0"
                       ).fetchone()[0] == built == 3
    con.close()
    # the serving copy is published before the run's own evaluation: it holds the ones before
    assert wh.served("select count(*) from ops.alert_history")[0][0] >= len(ALERTS["alerts"])
    assert wh.served("select count(distinct run_id) from ops.table_storage")[0][0] == 3
