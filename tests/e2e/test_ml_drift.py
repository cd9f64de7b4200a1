"""The model's loop closed on a drift, with nobody at the keyboard (docs/ml.md, "Drift you can
reproduce"): a generated world where, from day 1, MAIL deliveries take 20 days longer; the
champion trained on day 0 keeps predicting the old MAIL; as the labels are decided the slice
monitoring pages (`model_slice_miscalibrated`), the Dagster sensor asks for the retraining job,
the job registers a challenger trained on the new labels, the challenger scores in the
champion's shadow, and the gate on realized performance promotes it once it has done better on
the same 100+ labelled lines. The same loop without the drift (no alert, no promotion) is in
test_ml.py, in the suite.

On demand (`lakehouse test --ml-drift`, LAKEHOUSE_ML_DRIFT=1): SF 0.05 (a slice needs 100
labels in four weeks; SF 0.01 decides about four MAIL labels a day) and a run per simulated
day, about a quarter of an hour here, more than the suite's budget allows."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from warehouse import LAKEHOUSE, Served

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.ml import training as ml
from lakehouse.sources.generator import generate
from lakehouse.sources.generator.simulate import Drift

pytestmark = pytest.mark.skipif(
    not os.environ.get("LAKEHOUSE_ML_DRIFT"),
    reason="on demand: `lakehouse test --ml-drift` (about 15 minutes)")

SF, DAYS, SEED = 0.05, 28, 7
DRIFT = Drift("MAIL", from_day=1, delay_days=20)
ALERT = "model_slice_miscalibrated"


def alert_state(wh: Served, alert: str) -> str:
    con = duckdb.connect(str(wh.db), read_only=True)
    try:
        row = con.execute("select state from ops.alert_state where alert = ?", [alert]).fetchone()
    finally:
        con.close()
    return row[0] if row else "OK"


def test_a_slower_ship_mode_pages_retrains_and_the_retrained_model_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg
    from mlflow import MlflowClient

    from lakehouse.apps.orchestration import ml as orchestration
    from lakehouse.ml.promotion import promote

    generated = tmp_path / "generated"
    generate(generated, sf=SF, days=DAYS, seed=SEED, drift=DRIFT, log=lambda _: None)
    wh = Served(tmp_path / "warehouse", generated)
    for name, value in wh.env.items():
        if name.startswith(("LAKEHOUSE_", "MLFLOW_")):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    settings = Settings.from_env()
    uri = settings.tracking_uri
    wh.deliver(0)
    wh.run()
    result = subprocess.run([str(LAKEHOUSE), "train", "--json"], cwd=PROJECT_DIR, env=wh.env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    champion = json.loads(result.stdout[result.stdout.index("{"):])
    assert champion["promoted"], champion

    def mail_mean_prediction(table: str) -> float:
        return wh.one(f"select avg(p.late_probability) from gold.{table} as p join "
                      "gold.ml_late_delivery_features as f using (order_id, line_number) "
                      "where f.ship_mode = 'MAIL'")

    paged = retrained = promoted = None
    context = dg.build_sensor_context()
    for day in range(1, DAYS + 1):
        wh.deliver(day)
        wh.run()
        if paged is None:
            if alert_state(wh, ALERT) != "TRIGGERED":
                assert isinstance(orchestration.ml_alerts(context), dg.SkipReason)
                continue
            paged = day
            slices = wh.sql("select slice_feature, slice_value, labelled, calibration_error, "
                            "calibration_z from gold.ml_model_slices where variant = 'champion' "
                            "and label_window = 'recent' and labelled >= 100 "
                            "and abs(calibration_z) > 4 and abs(calibration_error) > 0.05")
            # the drifting slice, and only it: the model expects too few of its lines late
            assert [(f, v) for f, v, *_ in slices] == [("ship_mode", "MAIL")], slices
            assert slices[0][3] > 0.05
            # the sensor asks for the retraining job, once for this triggering
            requests = orchestration.ml_alerts(context).run_requests
            assert len(requests) == 1 and requests[0].run_key.startswith(f"{ALERT}@")
            run = orchestration.ml_retrain.execute_in_process(
                instance=dg.DagsterInstance.ephemeral(), tags=requests[0].tags)
            assert run.success
            retrained = run.output_for_node("train_challenger")
            assert retrained["challenger"] and not retrained["promoted"], retrained
            # not yet: no line both scored has its label
            assert run.output_for_node("promote_challenger")["promoted"] is False
            before = mail_mean_prediction("pred_late_delivery")
            continue
        decision = promote(settings, log=lambda _: None)
        if decision.promoted:
            promoted = (day, decision)
            break
    assert paged is not None, f"{ALERT} never triggered in {DAYS} days"
    assert promoted is not None, f"the challenger (paged on day {paged}) was never promoted"
    day, decision = promoted
    # won on realized performance: the same labelled lines, a lower log loss than the champion
    assert decision.challenger == retrained["version"] and decision.rows >= 100
    assert decision.metrics["val_log_loss"] < decision.metrics["champion_val_log_loss"]
    client = MlflowClient(uri, uri)
    assert int(client.get_model_version_by_alias(ml.model_name(), ml.ALIAS).version) == \
        retrained["version"]
    # the new champion scores the open lines: it expects more of MAIL's late than the old one
    wh.run()
    assert mail_mean_prediction("pred_late_delivery") > before + 0.05
