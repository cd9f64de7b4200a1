"""MLflow on the lakehouse: the late-delivery model trained on published gold (`lakehouse
train`), tracked and registered with a `champion` alias that moves only to a better model,
batch-scored by the dbt Python model gold.pred_late_delivery inside `lakehouse run`, features
without look-ahead, and the notebook executed as a user would run it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from browser import free_port, wait_for
from warehouse import LAKEHOUSE, Served

from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.dbt import Dbt
from lakehouse.ml import training as ml
from lakehouse.ml.promotion import GATE_TAG

# lakehouse runs, MLflow, a Jupyter kernel

# The source's only signal (TPC-H: commit 30-90 days after the order, shipped 1-121 days after
# it, delivered 1-30 days after shipping) lets a model reach a validation AUC of about 0.68, on
# about 9,000 validation lines at SF 0.01, whose AUC has a standard error of about 0.006. 0.62
# is ten standard errors below what the signal allows and twenty above a model of noise (0.5).
MIN_AUC = 0.62


@dataclass
class Scenario:
    wh: Served
    tracking_uri: str
    first_run: subprocess.CompletedProcess[str]
    trained: list[dict]
    rescored: subprocess.CompletedProcess[str]
    promotions: list[dict]  # before the labels arrived, and after

def train(wh: Served) -> dict:
    result = subprocess.run([str(LAKEHOUSE), "train", "--json"], cwd=PROJECT_DIR, env=wh.env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout[result.stdout.index("{"):])


def register_constant_model(wh: Served, tracking_uri: str) -> None:
    """Version 1, champion: a model that predicts the base rate for every line (as a stale
    champion would, or one trained on no signal), for `lakehouse train` to beat."""
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    from mlflow import MlflowClient
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    name = ml.model_name()
    frame = pd.DataFrame({feature: [0.0, 1.0] for feature in ml.FEATURES})
    model = Pipeline([("classifier", DummyClassifier(strategy="prior"))]).fit(frame, [0, 1])
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.create_experiment("constant", artifact_location=(wh.root / "mlflow" / "constant")
                             .as_uri())
    mlflow.set_experiment("constant")
    with mlflow.start_run():
        logged = mlflow.sklearn.log_model(model, name="model", registered_model_name=name)
    MlflowClient(tracking_uri, tracking_uri).set_registered_model_alias(
        name, ml.ALIAS, str(logged.registered_model_version))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Scenario:
    """Day 0 run (no model yet), a constant champion (version 1), a degenerate candidate (so
    regularized that it predicts about the base rate for every line: the AUC of a good ranking,
    no skill), a real model (the challenger, version 3) and the same again (version 4); a run
    with nothing pending (the champion scores, the challenger beside it); a promotion with no
    labels yet (no decision); the other days delivered and built (their labels arrive); the
    promotion on them (the challenger wins); a run with nothing pending (the new champion
    scores). The MLflow store is beside the warehouse (the scratch environment's
    MLFLOW_TRACKING_URI)."""
    from lakehouse.ml.promotion import promote

    wh = Served(tmp_path_factory.mktemp("ml"), generated)
    tracking_uri = wh.env["MLFLOW_TRACKING_URI"]
    wh.deliver(0)
    first = wh.run()
    register_constant_model(wh, tracking_uri)
    # the command once, then the same function in this process (no second MLflow start-up)
    settings = Settings(db=wh.db, landing=wh.landing, generated=generated, serving=wh.serving,
                        mlflow=tracking_uri)
    quiet = {"log": lambda _: None}
    trained = [asdict(ml.train(settings, regularization=1e-9, **quiet)), train(wh),
               asdict(ml.train(settings, **quiet))]
    rescored = wh.run()  # nothing pending, but a new challenger
    promotions = [asdict(promote(settings, **quiet))]
    wh.deliver()
    wh.run()
    result = subprocess.run([str(LAKEHOUSE), "promote", "--json"], cwd=PROJECT_DIR,
                            env=wh.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    promotions.append(json.loads(result.stdout[result.stdout.index("{"):]))
    wh.run()  # nothing pending, but a new champion
    return Scenario(wh, tracking_uri, first, trained, rescored, promotions)

def test_a_run_before_the_first_training_skips_scoring_with_a_note(scenario: Scenario) -> None:
    assert "gold.pred_*) skipped: the MLflow model has no `champion` version yet" in \
        scenario.first_run.stdout
    # and the run published: the features are there for `lakehouse train`
    tables = {row[0] for row in scenario.wh.served(
        "select table_name from duckdb_tables() where schema_name = 'gold'")}
    assert "ml_late_delivery_features" in tables


def test_the_model_beats_the_base_rate_on_the_validation_split(scenario: Scenario) -> None:
    metrics = scenario.trained[1]["metrics"]
    assert metrics["val_auc"] >= MIN_AUC, metrics
    assert metrics["val_log_loss"] < metrics["base_log_loss"], metrics
    assert metrics["val_brier"] < metrics["base_brier"], metrics
    # the constant champion it replaced ranks nothing
    assert metrics["champion_val_auc"] == pytest.approx(0.5), metrics


def test_a_better_model_is_a_challenger_and_the_champion_moves_on_the_labels_that_arrive(
        scenario: Scenario) -> None:
    from mlflow import MlflowClient

    degenerate, better, same = scenario.trained
    # it ranks lines as well as a good model, but predicts the base rate: it does not pass the
    # gate, whatever its AUC against the constant champion's 0.5
    assert degenerate["metrics"]["val_auc"] > 0.6 and not degenerate["promoted"], degenerate
    assert degenerate["version"] == 2 and degenerate["champion_before"] == 1
    assert degenerate["metrics"]["val_log_loss_skill"] < ml.MIN_SKILL
    assert degenerate["decision"].startswith("no skill"), degenerate["decision"]
    assert not degenerate["challenger"]
    # better on the validation split: the challenger, not yet the champion
    assert (better["version"], better["champion_before"], better["promoted"],
            better["challenger"]) == (3, 1, False, True)
    assert better["metrics"]["val_log_loss"] < better["metrics"]["champion_val_log_loss"]
    assert better["decision"].startswith("challenger: ") and "lakehouse promote" in \
        better["decision"]
    # the same data and seed give the same model: not better than the challenger, so nothing
    assert (same["version"], same["champion_before"], same["promoted"],
            same["challenger"]) == (4, 1, False, False)
    assert "not below the challenger's (version 3)" in same["decision"], same["decision"]
    assert same["metrics"]["val_auc"] == pytest.approx(same["metrics"]["challenger_val_auc"])

    # the champion moves only on realized performance: no labels yet, no decision
    before, after = scenario.promotions
    assert (before["champion"], before["challenger"], before["promoted"]) == (1, 3, False)
    assert before["rows"] < 100 and before["decision"].startswith("no decision yet"), before
    # once lines both scored are received, the challenger wins on them through the gate
    assert (after["champion"], after["challenger"], after["promoted"]) == (1, 3, True), after
    assert after["rows"] >= 100
    realized = after["metrics"]
    assert realized["val_log_loss"] < realized["champion_val_log_loss"]
    assert realized["val_auc"] > 0.6 and realized["champion_val_auc"] == pytest.approx(0.5)

    client = MlflowClient(scenario.tracking_uri, scenario.tracking_uri)
    name = ml.model_name()
    versions = {int(v.version) for v in client.search_model_versions(f"name = '{name}'")}
    assert versions == {1, 2, 3, 4}
    assert int(client.get_model_version_by_alias(name, ml.ALIAS).version) == 3
    assert ml.alias_version(scenario.tracking_uri, ml.CHALLENGER) is None
    # the training run is tracked with what it read and how it did
    run = client.get_run(better["mlflow_run_id"])
    published = scenario.wh.sql("select run_id from ops.run_history where published "
                                "order by started_at")[0][0]
    assert run.data.tags["lakehouse.input_run_id"] == better["input_run_id"] == published
    assert run.data.params["features"] == ",".join(ml.FEATURES)
    assert {"val_auc", "val_log_loss", "base_rate", "base_log_loss", "champion_val_log_loss",
            "val_log_loss_skill"} <= set(run.data.metrics)
    # the gate's decisions and their figures are on the runs and the version
    assert (run.data.tags["lakehouse.promoted"], run.data.tags["lakehouse.challenger"]) == (
        "false", "true")
    assert run.data.tags["lakehouse.promotion_decision"] == better["decision"]
    refused = client.get_run(degenerate["mlflow_run_id"])
    assert refused.data.tags["lakehouse.promotion_decision"] == degenerate["decision"]
    assert client.get_model_version(name, "2").tags["promotion_decision"] == \
        degenerate["decision"]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"features.json", "calibration.json"} <= artifacts
    promoted = client.get_run(after["mlflow_run_id"])
    assert promoted.data.tags["lakehouse.promoted"] == "true"
    assert promoted.data.tags["lakehouse.promotion_decision"] == after["decision"]
    assert promoted.data.metrics["realized_auc"] == pytest.approx(realized["val_auc"])
    assert client.get_model_version(name, "3").tags["realized_promotion_decision"] == \
        after["decision"]


def test_a_new_challenger_alone_builds_only_the_scoring(scenario: Scenario) -> None:
    assert ("MLflow's `champion` is version 1: scoring with it (and `challenger` version 3 "
            "beside it)") in scenario.rescored.stdout
    status, models = scenario.wh.sql("select status, models from ops.run_history "
                                     "order by started_at")[1]
    built = {m["node"] for m in json.loads(models) if m["node"].startswith("model.")}
    # the scoring and what monitors it: the inference table, the registry and the monitoring
    assert (status, built) == ("success", {f"model.lakehouse.{m}" for m in (
        "pred_late_delivery", "pred_late_delivery_challenger", "ml_inference_log",
        "ml_model_versions", "ml_prediction_outcomes", "ml_model_performance",
        "ml_model_calibration", "ml_model_slices", "ml_feature_drift")})


def test_lakehouse_run_scores_the_open_lines_with_the_champion_deterministically(
        scenario: Scenario) -> None:
    import mlflow.sklearn

    wh = scenario.wh
    champion = scenario.trained[1]["version"]  # the promoted training's
    assert "skipped" not in scenario.rescored.stdout
    query = ("select order_id, line_number, predicted_at, late_probability, model_name, "
             "model_version from gold.pred_late_delivery order by order_id, line_number")
    scored = wh.sql(query)
    open_lines = wh.one("select count(*) from gold.ml_late_delivery_features "
                        "where is_late_delivery is null")
    assert len(scored) == open_lines > 0
    assert {(row[4], row[5]) for row in scored} == {(ml.model_name(), champion)}
    # published with the run, for BI tools and the notebook
    assert wh.served("select count(*), min(model_version), max(model_version) "
                     "from gold.pred_late_delivery") == [(len(scored), champion, champion)]
    # built again from the same model version: the same table, to the last bit
    dbt = Dbt.scratch(wh.root, wh.landing, wh.db, wh.external_db,
                      MLFLOW_TRACKING_URI=scenario.tracking_uri)
    result = dbt.run("run", "--select", "pred_late_delivery", check=False, capture=True)
    assert result.ok, (result.output or "")[-3000:]
    assert wh.sql(query) == scored
    # and what the registered version says, scored here
    con = duckdb.connect(str(wh.db), read_only=True)
    try:
        features = con.execute("select * from gold.ml_late_delivery_features where "
                               "is_late_delivery is null order by order_id, line_number").df()
    finally:
        con.close()
    mlflow.set_tracking_uri(scenario.tracking_uri)
    mlflow.set_registry_uri(scenario.tracking_uri)
    model = mlflow.sklearn.load_model(f"models:/{ml.model_name()}/{champion}")
    expected = model.predict_proba(features[list(ml.FEATURES)])[:, 1]
    assert [row[3] for row in scored] == pytest.approx(list(expected), rel=1e-12)


def changed_features(compiled_sql: str, db: Path, cutoff: str) -> int:
    """Rows predicted before `cutoff` whose features change when everything after it is
    rewritten: orders placed from the cutoff on are deleted, and every delivery received from
    it on is received ten days later with the opposite outcome."""
    keys_and_features = ", ".join(("order_id", "line_number", *ml.FEATURES))
    con = duckdb.connect(str(db))
    try:
        con.execute(f"create temp table before_change as select * from ({compiled_sql})")
        con.execute(f"delete from gold.fct_order_line where order_date >= date '{cutoff}'")
        con.execute("update gold.fct_order_line set receipt_date = receipt_date + 10, "
                    "is_late_delivery = not is_late_delivery "
                    f"where receipt_date >= date '{cutoff}'")
        con.execute(f"create temp table after_change as select * from ({compiled_sql})")
        compared = con.execute("select count(*) from before_change "
                               f"where predicted_at < date '{cutoff}'").fetchone()[0]
        assert compared > 10_000, compared
        return con.execute(f"""
            select count(*) from (
                (select {keys_and_features} from before_change
                 where predicted_at < date '{cutoff}'
                 except all
                 select {keys_and_features} from after_change)
                union all
                (select {keys_and_features} from after_change
                 except all
                 select {keys_and_features} from before_change
                 where predicted_at < date '{cutoff}'))""").fetchone()[0]
    finally:
        con.close()


def test_features_know_nothing_after_the_prediction_time(scenario: Scenario,
                                                        tmp_path: Path) -> None:
    wh = scenario.wh
    compiled = (wh.root / "target" / "compiled" / "lakehouse" / "models" / "gold"
                / "ml_late_delivery_features.sql").read_text()
    cutoff = "1997-01-01"
    copy = tmp_path / wh.db.name  # the same file name: the compiled SQL names its catalog
    shutil.copy(wh.db, copy)
    assert changed_features(compiled, copy, cutoff) == 0
    # the check catches a feature that looks ahead: the supplier's record over all deliveries
    # known today, rather than those received before the order date
    frame = "rows between unbounded preceding and current row"
    assert frame in compiled
    leaky = compiled.replace(frame, "rows between unbounded preceding and unbounded following")
    shutil.copy(wh.db, copy)
    assert changed_features(leaky, copy, cutoff) > 1000


def test_the_notebook_runs_on_published_gold(scenario: Scenario, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    for name, value in scenario.wh.env.items():
        if name.startswith("LAKEHOUSE_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", scenario.tracking_uri)
    # Jupyter's inline plots, whatever this worker imported before: `import streamlit` (the
    # serving tests' AppTest) sets MPLBACKEND=Agg in the process, which the kernel inherits
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(PROJECT_DIR / "notebooks" / "lakehouse_tour.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert list(tmp_path.iterdir()) == []  # the kernel's directory: MLflow wrote nothing there
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # the revenue trend; calibration and lift
    text = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    printed = "\n".join(o.get("text", "") for o in outputs)
    assert "val_auc" in text and f"{ml.model_name()} version 3" in printed


def post(port: int, path: str, body: object, content_type: str = "application/json",
         ) -> tuple[int, str]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_endpoint_serves_the_champion_as_batch_scoring_does(scenario: Scenario) -> None:
    """`lakehouse serve-model`: the champion's predictions equal gold.pred_late_delivery's for
    the same rows, by features or by key; bad input is a 4xx with a one-line reason; a moved
    alias is served without a restart and without a failed request."""
    from mlflow import MlflowClient

    wh = scenario.wh
    champion = scenario.trained[1]["version"]
    rows = wh.sql("select p.order_id, p.line_number, p.late_probability, "
                  f"{', '.join(f'f.{c}' for c in ml.FEATURES)} "
                  "from gold.pred_late_delivery as p join gold.ml_late_delivery_features as f "
                  "using (order_id, line_number) order by all limit 200")
    assert len(rows) == 200
    columns = ["order_id", "line_number", *ml.FEATURES]
    data = [[r[0], r[1], *(float(v) if isinstance(v, Decimal) else v for v in r[3:])]
            for r in rows]
    port = free_port()
    server = subprocess.Popen([str(LAKEHOUSE), "serve-model", "--port", str(port),
                               "--max-records", "500"], cwd=PROJECT_DIR, env=wh.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    client = MlflowClient(scenario.tracking_uri, scenario.tracking_uri)
    try:
        wait_for(f"http://127.0.0.1:{port}/ping", 120)
        status, text = post(port, "/invocations",
                            {"dataframe_split": {"columns": columns, "data": data}})
        assert status == 200, text
        answer = json.loads(text)
        assert answer["model_version"] == champion
        assert answer["predictions"] == [r[2] for r in rows]  # bit for bit
        records = [dict(zip(columns, d, strict=True)) for d in data[:3]]
        for shape in ("dataframe_records", "instances"):
            status, text = post(port, "/invocations", {shape: records})
            assert json.loads(text)["predictions"] == [r[2] for r in rows[:3]], text
        keys = [{"order_id": r[0], "line_number": r[1]} for r in rows[::-1]]
        status, text = post(port, "/lookup", {"keys": keys})
        assert status == 200, text
        assert json.loads(text)["predictions"] == [r[2] for r in rows[::-1]]

        # bad input: a 4xx and one line that says why, never a 500
        wrong_type = {**records[0], "quantity": "many"}
        refused = {
            "not json": post(port, "/invocations", b"{nope"),
            "missing": post(port, "/invocations", {"dataframe_records": [
                {k: v for k, v in records[0].items() if k != "ship_mode"}]}),
            "wrong type": post(port, "/invocations", {"dataframe_records": [wrong_type]}),
            "unknown key": post(port, "/lookup", {"keys": [{"order_id": -1,
                                                            "line_number": 1}]}),
            "oversized": post(port, "/invocations", {"dataframe_records": records * 200}),
            "two shapes": post(port, "/invocations", {"instances": records,
                                                      "dataframe_records": records}),
            "form": post(port, "/invocations", b"a=1", "application/x-www-form-urlencoded"),
        }
        assert {k: s for k, (s, _) in refused.items()} == {
            "not json": 400, "missing": 400, "wrong type": 400, "unknown key": 404,
            "oversized": 413, "two shapes": 400, "form": 415}
        assert all(len(t.strip().splitlines()) == 1 for _, t in refused.values()), refused
        assert "ship_mode" in refused["missing"][1] and "quantity" in refused["wrong type"][1]
        assert "(-1, 1)" in refused["unknown key"][1] and "500" in refused["oversized"][1]

        # the alias moves under a load of requests: each answered, the new version within
        # seconds, no restart
        answers: list[tuple[int, int | None]] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                status, text = post(port, "/invocations", {"dataframe_records": records})
                answers.append((status, json.loads(text)["model_version"]
                                if status == 200 else None))

        other = scenario.trained[2]["version"]
        assert other != champion
        loader = threading.Thread(target=load)
        loader.start()
        try:
            time.sleep(1)
            client.set_registered_model_alias(ml.model_name(), ml.ALIAS, str(other))
            deadline = time.monotonic() + 30
            while not answers or answers[-1][1] != other:
                assert time.monotonic() < deadline, answers[-5:]
                time.sleep(0.2)
            time.sleep(1)
        finally:
            stop.set()
            loader.join(60)
        assert {s for s, _ in answers} == {200}, answers
        versions = [v for _, v in answers]
        assert versions[0] == champion and versions[-1] == other
        assert versions == sorted(versions, key=lambda v: v == other)  # one switch, no return
        assert server.poll() is None
    finally:
        client.set_registered_model_alias(ml.model_name(), ml.ALIAS, str(champion))
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def first_predictions(wh: Served) -> dict[tuple, tuple[float, object]]:
    """Each (version, variant, line)'s first prediction and prediction date, read from the
    inference table's rows (not from the monitoring's)."""
    found: dict[tuple, tuple[float, object]] = {}
    for version, variant, order, line, prediction, predicted_at in wh.sql(
            "select model_version, variant, order_id, line_number, prediction, predicted_at "
            "from gold.ml_inference_log where predicted_at is not null "
            "order by requested_at, request_id, record_index"):
        found.setdefault((version, variant, order, line), (prediction, predicted_at))
    return found


def psi(actual: list[str], expected: list[str]) -> float:
    """The population stability index of two samples of bin labels (shares floored at 1e-4)."""
    import math
    from collections import Counter

    a, e = Counter(actual), Counter(expected)
    return sum((max(a[b] / len(actual), 1e-4) - max(e[b] / len(expected), 1e-4))
               * math.log(max(a[b] / len(actual), 1e-4) / max(e[b] / len(expected), 1e-4))
               for b in set(a) | set(e))


def test_every_request_is_logged_once_and_monitored_against_the_labels(
        scenario: Scenario) -> None:
    """The endpoint killed (SIGKILL) under a load of lookups: every request it answered is in
    bronze and in the inference table, once; the next run (which brings the rest of the days,
    so labels arrive) puts them beside batch scoring's rows, and the monitoring's metrics equal
    scikit-learn's and a plain PSI on the same predictions and decided labels; without drift,
    the ML alerts stay quiet."""
    import numpy as np
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    wh = scenario.wh
    keys = [{"order_id": o, "line_number": n} for o, n in wh.sql(
        "select order_id, line_number from gold.pred_late_delivery order by all limit 300")]
    from mlflow import MlflowClient

    client = MlflowClient(scenario.tracking_uri, scenario.tracking_uri)
    champion, other = scenario.trained[1]["version"], scenario.trained[2]["version"]
    # A/B: half of the requests to a challenger (version 4) while the endpoint runs
    client.set_registered_model_alias(ml.model_name(), ml.CHALLENGER, str(other))
    port = free_port()
    server = subprocess.Popen([str(LAKEHOUSE), "serve-model", "--port", str(port),
                               "--log-rotate-seconds", "3", "--challenger-share", "0.5"],
                              cwd=PROJECT_DIR, env=wh.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    answered: dict[str, list[float]] = {}
    variants: dict[str, tuple[int, str]] = {}
    try:
        wait_for(f"http://127.0.0.1:{port}/ping", 120)
        status, text = post(port, "/lookup", {"keys": [{"order_id": -1, "line_number": 1}]})
        assert status == 404, text
        # until the endpoint has closed a file (every 3 s), then three more requests: the
        # file they open is still open when it is killed
        inference = wh.landing / "inference"
        before = set(inference.glob("*/*.jsonl"))  # the earlier test's endpoint closed them
        n, more = 0, 3
        while more:
            if set(inference.glob("*/*.jsonl")) - before:
                more -= 1
            batch = keys[n % 60 * 5:n % 60 * 5 + 5]
            status, text = post(port, "/lookup", {"keys": batch})
            assert status == 200, text
            answer = json.loads(text)
            answered[answer["request_id"]] = answer["predictions"]
            variants[answer["request_id"]] = (answer["model_version"], answer["variant"])
            n += 1
        killer = threading.Timer(0.01, os.killpg, (server.pid, signal.SIGKILL))
        killer.start()  # while the next request is under way
        with contextlib.suppress(OSError):
            status, text = post(port, "/lookup", {"keys": keys[:5]})
            if status == 200:
                answer = json.loads(text)
                answered[answer["request_id"]] = answer["predictions"]
                variants[answer["request_id"]] = (answer["model_version"], answer["variant"])
        killer.join()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(30)
        client.delete_registered_model_alias(ml.model_name(), ml.CHALLENGER)
    assert set(variants.values()) == {(champion, "champion"), (other, "challenger")}, variants
    assert server.returncode == -signal.SIGKILL
    assert list((wh.landing / "inference" / "_open").glob("*.part")), "killed with a file open"

    result = wh.run()  # the inference log is all that is pending
    assert "the inference log of a model endpoint that stopped" in result.stdout
    assert not list((wh.landing / "inference" / "_open").glob("*.part"))

    # every answered request in bronze and silver once, with every record; nothing twice
    bronze = wh.sql("select _raw ->> 'request_id', cast(_raw ->> 'record_index' as integer), "
                    "cast(_raw ->> 'prediction' as double) from bronze.inference_log_raw")
    assert len(bronze) == len(set((r, i) for r, i, _ in bronze))
    logged = {}
    for request_id, index, prediction in bronze:
        logged.setdefault(request_id, {})[index] = prediction
    for request_id, predictions in answered.items():
        assert logged.get(request_id) == dict(enumerate(predictions)), request_id
    # besides the earlier endpoint test's requests (closed cleanly), at most the one under way
    # when the endpoint was killed is logged without its answer having reached the client
    unanswered = [r for r in set(logged) - set(answered) if set(logged[r]) == set(range(5))]
    assert len(unanswered) <= 1, unanswered
    silver = wh.sql("select request_id, record_index, status, prediction "
                    "from silver.inference_requests")
    assert len(silver) == len(bronze)
    assert {(r, i) for r, i, _, _ in silver} == {(r, i) for r, i, _ in bronze}
    assert any(status == 404 for _, _, status, _ in silver)
    gold = wh.sql("select request_id, record_index, prediction, model_version, variant "
                  "from gold.ml_inference_log where scored_by = 'endpoint'")
    assert {(r, i): p for r, i, p, _, _ in gold} == {
        (r, i): p for r, i, s, p in silver if s == 200}
    assert {r: (v, variant) for r, _, _, v, variant in gold if r in answered} == variants

    # batch scoring's rows beside them: the open lines scored at each run by the champion
    # (version 1, then 3 once promoted) and by the challenger in its shadow
    assert set(wh.sql("select distinct model_version, variant from gold.ml_inference_log "
                      "where scored_by = 'batch'")) == {
        (1, "champion"), (champion, "challenger"), (champion, "champion")}

    # the monitoring, against scikit-learn on the same predictions and decided labels: a line
    # received by the as-of date (late if after its commit date), or past its commit date
    # without a receipt (late)
    as_of = wh.one("select max(order_date) from silver.orders")
    received = {(o, n): receipt is None or receipt > commit for o, n, commit, receipt in wh.sql(
        "select order_id, line_number, commit_date, "
        f"case when receipt_date <= date '{as_of}' then receipt_date end "
        "from silver.order_lines "
        f"where receipt_date <= date '{as_of}' or commit_date < date '{as_of}'")}
    firsts = first_predictions(wh)
    measured = {(v, variant): row for v, variant, *row in wh.sql(
        "select model_version, variant, predictions, labelled, late, log_loss, brier_score, "
        "auc from gold.ml_model_performance where is_overall")}
    checked = 0
    for (version, variant), (predictions, labelled, late, loss, brier, auc) in measured.items():
        rows = [(p, received[k[2:]]) for k, (p, _) in firsts.items()
                if k[:2] == (version, variant) and k[2:] in received]
        assert predictions == sum(1 for k in firsts if k[:2] == (version, variant))
        assert (labelled, late) == (len(rows), sum(y for _, y in rows))
        if len({y for _, y in rows}) < 2:
            continue
        p, y = np.array([p for p, _ in rows]), np.array([y for _, y in rows])
        assert loss == pytest.approx(log_loss(y, p), rel=1e-9)
        assert brier == pytest.approx(brier_score_loss(y, p), rel=1e-9)
        assert auc == pytest.approx(roc_auc_score(y, p), rel=1e-9)
        checked += 1
    # the constant champion and the challenger, on the same labelled lines
    assert checked >= 2 and measured[(1, "champion")][1] == measured[
        (champion, "challenger")][1] >= 100, measured

    # drift of a numeric feature, a category and the prediction, for the champion overall
    tags = client.get_model_version(ml.model_name(), str(champion)).tags
    training = wh.sql(f"select days_to_commit, ship_mode from gold.ml_late_delivery_features "
                      f"where is_label_final and is_late_delivery is not null and commit_date "
                      f"<= date '{tags['train_commits_through']}'")
    # each line once, at its first prediction (the endpoint was asked about the same lines again
    # and again under load: they must not outweigh the population), and each keyless record
    logged = wh.sql(f"select order_id, line_number, days_to_commit, ship_mode, prediction "
                    f"from gold.ml_inference_log where model_version = {champion} and "
                    f"variant = 'champion' order by requested_at, request_id, record_index")
    seen: set[tuple[int, int]] = set()
    served = []
    for order, line, *values in logged:
        if order is None or (order, line) not in seen:
            seen.add((order, line))
            served.append(values)
    assert len(served) < len(logged)
    edges = np.unique(np.quantile([d for d, _ in training], np.arange(1, 10) / 10,
                                  method="inverted_cdf"))
    reference = json.loads(tags["prediction_reference"])

    def binned(values: list, cuts: list) -> list[str]:
        return [str(int(np.searchsorted(cuts, v, side="left"))) for v in values]

    expected = {
        "days_to_commit": psi(binned([d for d, _, _ in served], edges),
                              binned([d for d, _ in training], edges)),
        "ship_mode": psi([m for _, m, _ in served], [m for _, m in training]),
        "prediction": sum(
            (max(a, 1e-4) - max(e, 1e-4)) * np.log(max(a, 1e-4) / max(e, 1e-4))
            for a, e in zip(np.bincount(np.searchsorted(reference["edges"],
                                                        [p for _, _, p in served]),
                                        minlength=len(reference["shares"])) / len(served),
                            reference["shares"], strict=True)),
    }
    drift = {f: (n, value) for f, n, value in wh.sql(
        f"select feature, predictions, psi from gold.ml_feature_drift where is_overall and "
        f"model_version = {champion} and variant = 'champion'")}
    assert {f: drift[f][1] for f in expected} == pytest.approx(expected, rel=1e-9)
    assert {drift[f][0] for f in expected} == {len(served)}

    # no drift in the data: the ML alerts evaluated after the run stay quiet
    assert dict(wh.sql("select alert, state from ops.alert_state where alert in "
                       "('model_performance_drop', 'model_input_drift')")) == {
        "model_performance_drop": "OK", "model_input_drift": "OK"}, drift


def test_the_monitoring_page_shows_the_champion_on_its_labels(
        scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    for name, value in scenario.wh.env.items():
        if name.startswith("LAKEHOUSE_"):
            monkeypatch.setenv(name, value)
    app = AppTest.from_file(str(PROJECT_DIR / "src" / "lakehouse" / "apps" / "pages"
                                / "model_monitoring.py"), default_timeout=60).run()
    assert not app.exception
    champion = scenario.trained[1]["version"]
    metrics = {m.label: m.value for m in app.metric}
    labelled = dict(scenario.wh.served(
        "select model_version, labelled from gold.ml_model_performance where is_overall and "
        "variant = 'champion'"))
    assert metrics["Champion"] == f"{ml.model_name()} v{champion}"
    assert metrics["Labelled lines"] == f"{labelled[champion]:,}"
    overall = next(f.value for f in app.dataframe if "val_log_loss" in f.value.columns)
    shown = overall[overall["variant"] == "champion"].set_index("model_version")["labelled"]
    assert shown.to_dict() == labelled and labelled[1] >= 100
    assert {"Calibration by decile", "Drift against the training rows (PSI)",
            "Slices (the champion, labels of the last four weeks)",
            "The serving endpoint's traffic"} <= {s.value for s in app.subheader}
    slices = next(f.value for f in app.dataframe if "slice_value" in f.value.columns)
    assert len(slices) == scenario.wh.served(
        "select count(*) from gold.ml_model_slices where variant = 'champion' and "
        f"label_window = 'recent' and model_version = {champion}")[0][0]
    traffic = next(f.value for f in app.dataframe if "latency_p50_ms" in f.value.columns)
    assert traffic["requests"].sum() > 0


def test_the_retraining_job_trains_asks_the_gate_and_keeps_the_executed_notebook(
        scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Dagster job `ml_retrain` (weekly, and on the ML alerts) with nobody at the keyboard:
    on the same data it trains a version no better than the champion, so no challenger and no
    promotion; the monitoring notebook runs with the run's id and the champion's version and
    its executed copy is kept with the run. The sensor asks for one run per alert triggered."""
    import dagster as dg
    import nbformat
    from mlflow import MlflowClient

    from lakehouse.apps.orchestration import ml as orchestration

    wh = scenario.wh
    for name, value in wh.env.items():
        if name.startswith(("LAKEHOUSE_", "MLFLOW_")):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    champion = scenario.trained[1]["version"]
    result = orchestration.ml_retrain.execute_in_process(
        instance=dg.DagsterInstance.ephemeral())
    assert result.success
    trained = result.output_for_node("train_challenger")
    assert (trained["version"], trained["challenger"], trained["promoted"]) == (5, False, False)
    assert result.output_for_node("promote_challenger")["promoted"] is False
    client = MlflowClient(scenario.tracking_uri, scenario.tracking_uri)
    assert int(client.get_model_version_by_alias(ml.model_name(), ml.ALIAS).version) == champion
    executed = Path(result.output_for_node("monitoring_notebook"))
    assert executed == tmp_path / "dagster" / "notebooks" / result.run_id / executed.name
    notebook = nbformat.read(executed, as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f"model_version = {champion}" in injected[0].source
    assert f"run_id = '{result.run_id}'" in injected[0].source
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert f"{ml.model_name()} version {champion}, run {result.run_id}" in "".join(
        o.get("text", "") for o in outputs)

    # the sensor: nothing while the ML alerts are OK; one run request per triggering
    context = dg.build_sensor_context()
    assert isinstance(orchestration.ml_alerts(context), dg.SkipReason)
    con = duckdb.connect(str(wh.db))
    try:
        con.execute("update ops.alert_state set state = 'TRIGGERED', "
                    "since = timestamp '2026-12-07 10:00:00' "
                    "where alert = 'model_performance_drop'")
    finally:
        con.close()
    requests = orchestration.ml_alerts(context).run_requests
    week = wh.one("select date_trunc('week', max(as_of_date)) "
                  "from gold.ml_late_delivery_features")
    assert [r.run_key for r in requests] == [
        f"model_performance_drop@2026-12-07 10:00:00 week of {week}"]
    # for the recent world: a short validation window, recent lines weighted
    assert requests[0].run_config["ops"]["train_challenger"]["config"] == {
        "validation_days": 14, "half_life_days": 30.0}
    # no challenger waits (the retraining above registered none): the gate's sensor skips
    assert isinstance(orchestration.ml_challenger_labels(context), dg.SkipReason)
    # a challenger on trial holds the alert's retraining back until the gate has decided
    other = scenario.trained[2]["version"]
    client.set_registered_model_alias(ml.model_name(), ml.CHALLENGER, str(other))
    try:
        held = orchestration.ml_alerts(context)
        assert isinstance(held, dg.SkipReason) and "on trial" in held.skip_message, held
        client.set_model_version_tag(ml.model_name(), str(other), GATE_TAG, "failed")
        assert len(orchestration.ml_alerts(context).run_requests) == 1
    finally:
        client.delete_registered_model_alias(ml.model_name(), ml.CHALLENGER)
