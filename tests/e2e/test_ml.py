"""MLflow on the lakehouse: the late-delivery model trained on published gold (`lakehouse
train`), tracked and registered with a `champion` alias that moves only to a better model,
batch-scored by the dbt Python model gold.pred_late_delivery inside `lakehouse run`, features
without look-ahead, and the notebook executed as a user would run it."""

from __future__ import annotations

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
    """Day 0 run (no model yet), a constant champion, a degenerate challenger (so regularized
    that it predicts about the base rate for every line: the AUC of a good ranking, no skill),
    two trainings, a run with nothing pending (the new champion scores);
    the MLflow store beside the warehouse (the scratch environment's MLFLOW_TRACKING_URI)."""
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
    rescored = wh.run()  # nothing pending, but a new champion
    return Scenario(wh, tracking_uri, first, trained, rescored)


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


def test_registering_keeps_every_version_and_the_champion_moves_only_to_a_better_one(
        scenario: Scenario) -> None:
    from mlflow import MlflowClient

    degenerate, better, same = scenario.trained
    # it ranks lines as well as a good model, but predicts the base rate: it does not pass the
    # gate, whatever its AUC against the constant champion's 0.5
    assert degenerate["metrics"]["val_auc"] > 0.6 and not degenerate["promoted"], degenerate
    assert degenerate["version"] == 2 and degenerate["champion_before"] == 1
    assert degenerate["metrics"]["val_log_loss_skill"] < ml.MIN_SKILL
    assert degenerate["decision"].startswith("no skill"), degenerate["decision"]
    assert (better["version"], better["champion_before"], better["promoted"]) == (3, 1, True)
    assert better["metrics"]["val_log_loss"] < better["metrics"]["champion_val_log_loss"]
    # the same data and seed give the same model: not better, so the champion stays
    assert (same["version"], same["champion_before"], same["promoted"]) == (4, 3, False)
    assert same["decision"].startswith("its log loss") and "not below the champion" in \
        same["decision"]
    assert same["metrics"]["val_auc"] == pytest.approx(same["metrics"]["champion_val_auc"])
    client = MlflowClient(scenario.tracking_uri, scenario.tracking_uri)
    name = ml.model_name()
    versions = {int(v.version) for v in client.search_model_versions(f"name = '{name}'")}
    assert versions == {1, 2, 3, 4}
    assert int(client.get_model_version_by_alias(name, ml.ALIAS).version) == 3
    # the run is tracked with what it read and how it did
    run = client.get_run(better["mlflow_run_id"])
    published = scenario.wh.sql("select run_id from ops.run_history where published "
                                "order by started_at")[0][0]
    assert run.data.tags["lakehouse.input_run_id"] == better["input_run_id"] == published
    assert run.data.params["features"] == ",".join(ml.FEATURES)
    assert {"val_auc", "val_log_loss", "base_rate", "base_log_loss", "champion_val_log_loss",
            "val_log_loss_skill"} <= set(run.data.metrics)
    # the gate's decision and its figures are on the run and the version
    assert run.data.tags["lakehouse.promoted"] == "true"
    assert run.data.tags["lakehouse.promotion_decision"] == better["decision"]
    refused = client.get_run(degenerate["mlflow_run_id"])
    assert refused.data.tags["lakehouse.promotion_decision"] == degenerate["decision"]
    assert client.get_model_version(name, "2").tags["promotion_decision"] == \
        degenerate["decision"]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"features.json", "calibration.json"} <= artifacts


def test_a_new_champion_alone_builds_only_the_scoring(scenario: Scenario) -> None:
    assert "MLflow's `champion` is version 3: scoring with it" in scenario.rescored.stdout
    status, models = scenario.wh.sql("select status, models from ops.run_history "
                                     "order by started_at")[1]
    built = {m["node"] for m in json.loads(models) if m["node"].startswith("model.")}
    assert (status, built) == ("success", {"model.lakehouse.pred_late_delivery"})


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
