"""The model's loop closed on a drift, with nobody at the keyboard (docs/ml.md, "Drift you can
reproduce"): a generated world where, from day 1, MAIL deliveries take 20 days longer; the
champion trained on day 0 keeps predicting the old MAIL; as the labels are decided the slice
monitoring pages (`model_slice_miscalibrated`), the Dagster sensor asks for the retraining job
(for the recent world), the job registers a challenger once one beats the champion on the
newest labels, the challenger scores in the champion's shadow, and the gate on realized
performance (its own sensor, as soon as 100 lines both scored have labels) promotes it once it
has done better on the same lines. The same loop without the drift (no alert, no promotion) is
in test_ml.py, in the suite.

On demand (`lakehouse test --ml-drift`, LAKEHOUSE_ML_DRIFT=1): SF 0.05 (a slice needs 100
labels within weeks; SF 0.01 decides about four MAIL labels a day) over eleven simulated weeks,
a `lakehouse run` every five days: some 9 minutes alone here, more than the suite's
budget allows. Measured (docs/ml.md): a retraining for the recent world beats the champion on
realized labels from about four weeks of drift on, not before; the first weeks' retrainings
register no challenger, which is the gate doing its work."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from warehouse import LAKEHOUSE, Served

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.ml import training as ml
from lakehouse.sources.generator import generate
from lakehouse.sources.generator.simulate import Drift

pytestmark = pytest.mark.skipif(
    not os.environ.get("LAKEHOUSE_ML_DRIFT"),
    reason="on demand: `lakehouse test --ml-drift` (some 10 minutes)")

SF, DAYS, STEP, SEED = 0.05, 80, 5, 7
DRIFT = Drift("MAIL", from_day=1, delay_days=20)
ALERT = "model_slice_miscalibrated"


def alert_state(wh: Served, alert: str) -> str:
    rows = wh.sql(f"select state from ops.alert_state where alert = '{alert}'")
    return rows[0][0] if rows else "OK"


def test_a_slower_ship_mode_pages_retrains_and_the_retrained_model_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg
    from mlflow import MlflowClient

    from lakehouse.apps.orchestration import ml as orchestration

    generated = tmp_path / "generated"
    generate(generated, sf=SF, days=DAYS, seed=SEED, drift=DRIFT, log=lambda _: None)
    wh = Served(tmp_path / "warehouse", generated)
    for name, value in wh.env.items():
        if name.startswith(("LAKEHOUSE_", "MLFLOW_")):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    uri = Settings.from_env().tracking_uri
    client = MlflowClient(uri, uri)
    wh.deliver(0)
    wh.run()
    result = subprocess.run([str(LAKEHOUSE), "train", "--json"], cwd=PROJECT_DIR, env=wh.env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    first = json.loads(result.stdout[result.stdout.index("{"):])
    assert first["promoted"], first

    def mail_mean_prediction() -> float:
        return wh.one("select avg(p.late_probability) from gold.pred_late_delivery as p join "
                      "gold.ml_late_delivery_features as f using (order_id, line_number) "
                      "where f.ship_mode = 'MAIL'")

    context = dg.build_sensor_context()
    launched: set[str] = set()  # the run keys the instance would have launched already

    def sensor_runs(sensor: dg.SensorDefinition, job: dg.JobDefinition) -> list:
        """The sensor's evaluation, and its new run requests executed as Dagster would."""
        evaluated = sensor(context)
        if isinstance(evaluated, dg.SkipReason):
            return []
        runs = []
        for request in evaluated.run_requests:
            if request.run_key not in launched:
                launched.add(request.run_key)
                run = job.execute_in_process(run_config=request.run_config,
                                             instance=dg.DagsterInstance.ephemeral(),
                                             tags=request.tags)
                assert run.success
                runs.append(run)
        return runs

    paged = challenger = promoted = before = None
    for day in range(STEP, DAYS + 1, STEP):
        wh.deliver(day)
        wh.run()
        if before is None:  # the first champion's view of MAIL, once it has scored
            before = mail_mean_prediction()
        if paged is None and alert_state(wh, ALERT) == "TRIGGERED":
            paged = day
            slices = wh.sql("select slice_feature, slice_value, labelled, calibration_error, "
                            "calibration_z from gold.ml_model_slices where variant = 'champion' "
                            "and label_window = 'recent' and labelled >= 100 "
                            "and abs(calibration_z) > 4 and abs(calibration_error) > 0.05")
            # the drifting slice, and only it: the model expects too few of its lines late
            assert [(f, v) for f, v, *_ in slices] == [("ship_mode", "MAIL")], slices
            assert slices[0][3] > 0.05
        for run in sensor_runs(orchestration.ml_alerts, orchestration.ml_retrain):
            assert run.dagster_run.tags["lakehouse/alert"] in orchestration.ALERTS
            trained = run.output_for_node("train_challenger")
            assert not trained["promoted"], trained  # never straight to champion
            if trained["challenger"]:
                challenger = (day, trained)
        for run in sensor_runs(orchestration.ml_challenger_labels, orchestration.ml_promote):
            decision = run.output_for_node("promote_waiting_challenger")
            if decision["promoted"]:
                promoted = (day, decision)
        if promoted:
            break
    assert paged is not None, f"{ALERT} never triggered in {DAYS} days"
    assert paged <= 15, f"{ALERT} triggered only on day {paged}"
    assert challenger is not None, "no retraining registered a challenger"
    assert promoted is not None, f"challenger {challenger} was never promoted"
    (challenged_on, trained), (promoted_on, decision) = challenger, promoted
    # won on realized performance: the same labelled lines, a lower log loss
    assert decision["challenger"] == trained["version"] and decision["rows"] >= 100
    assert decision["metrics"]["val_log_loss"] < decision["metrics"]["champion_val_log_loss"]
    assert int(client.get_model_version_by_alias(ml.model_name(), ml.ALIAS).version) == \
        trained["version"]
    # the new champion scores the open lines: it expects more of MAIL's lines late
    wh.run()
    assert mail_mean_prediction() > before + 0.03
    print(f"paged on day {paged}, challenger on day {challenged_on} (version "
          f"{trained['version']}), promoted on day {promoted_on}: {decision['decision']}")
