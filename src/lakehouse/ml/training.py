"""Machine learning on gold (`lakehouse train`), tracked and registered in MLflow.

The model answers, when an order is placed: will this line arrive after the date committed to
the customer? Its features are `gold.ml_late_delivery_features` (one row per order line, each
feature as known on the order date). Training reads them from the published serving copy, so
it never waits on (or blocks) a run, and records that copy's run id as its input. The split is
by time, on the commit date (the day a line's label is decided at the latest): the lines whose
labels are final and whose commit dates fall in the last `validation_days` validate, the ones
before them train, weighted by recency when `half_life_days` is given (a line committed that
many days before the cutoff counts half). A logistic regression (scikit-learn) is logged to MLflow with its
parameters, metrics, feature list and calibration table, registered as a new version of the
model. The first version with skill gets the alias `champion`; after it, a version that passes
the promotion gate (`promotion`) against the champion on this same validation set, and beats
the current challenger, gets `challenger`: the champion moves to it only on realized
performance (`lakehouse promote`, `promotion.py`). `gold.pred_late_delivery` (a dbt Python
model) scores with the champion, `gold.pred_late_delivery_challenger` with the challenger.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml

from lakehouse import log as log_line
from lakehouse.build.publish import SERVING_DB, connect_serving
from lakehouse.config import PROJECT_DIR, Settings
from lakehouse.errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient
    from sklearn.pipeline import Pipeline

ALIAS = "champion"
# the candidate scored beside the champion (shadow in batch, a share of the endpoint's traffic)
# until `lakehouse promote` decides on the labels that arrived
CHALLENGER = "challenger"
FEATURES_TABLE = "gold.ml_late_delivery_features"
LABEL = "is_late_delivery"
CATEGORICAL = ("ship_mode", "ship_instructions", "order_priority")
NUMERIC = ("days_to_commit", "quantity", "discount", "order_line_count", "part_size",
           "supplier_prior_deliveries", "supplier_prior_late_rate")
FEATURES = CATEGORICAL + NUMERIC
# the split and the weights (`lakehouse train --validation-days --half-life-days`; docs/ml.md,
# "Drift you can reproduce", has the measurements behind them)
VALIDATION_DAYS = 365
HALF_LIFE_DAYS = 0.0
# beyond scikit-learn's own, the types the model's skops file holds that skops does not trust
# by default: the one-hot encoder's output dtype (a NumPy dtype, no code)
TRUSTED_TYPES = ["numpy.dtype"]
SEED = 0
# The promotion gate. AUC alone cannot be it: it only ranks, so a model shrunk to predict
# nearly the base rate for every line (heavy regularization) keeps its ranking and its AUC, and
# won the champion on a 0.0002 lead while knowing nothing. A challenger must:
# - have skill on a proper scoring rule: its log loss at least 1% below the base rate's on the
#   validation rows (the real model's is 7-8% below at SF 0.01; C=1e-5 gives 1.4%, 1e-9 0.0002%);
# - beat the champion's log loss on the same rows (strictly: the same model does not move it);
# - and not lose more than 0.005 of AUC against it (about one standard error at SF 0.01).
MIN_SKILL = 0.01
AUC_TOLERANCE = 0.005


def model_name() -> str:
    """The registered model's name: the dbt project's `ml_model_name` variable, which
    gold.pred_late_delivery scores with."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return str(project["vars"]["ml_model_name"])


def sqlite_store(uri: str) -> Path | None:
    """The file of a SQLite tracking store URI (`sqlite:///...`); None for another store."""
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def use_store(uri: str) -> MlflowClient:
    """MLflow's tracking and registry set to the store `uri` (a registered model's artifacts
    are found through the tracking store), and a client of both."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(uri, uri)


def load_version(uri: str, name: str, version: int) -> Any:
    """Version `version` of the registered model `name` in the store `uri`, loaded."""
    import mlflow.sklearn

    use_store(uri)
    return mlflow.sklearn.load_model(f"models:/{name}/{version}")


def alias_version(tracking_uri: str, alias: str, name: str | None = None) -> int | None:
    """The version the registered model's `alias` points at; None when it points nowhere. A
    SQLite store is read directly, without MLflow (every run and every build of the scoring
    models asks, and importing MLflow takes seconds): MLflow's `registered_model_aliases`."""
    name = name or model_name()
    store = sqlite_store(tracking_uri)
    if store is not None:
        if not store.exists():
            return None
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as con:
            try:
                row = con.execute("select version from registered_model_aliases "
                                  "where name = ? and alias = ?", (name, alias)).fetchone()
            except sqlite3.OperationalError:  # a store without the registry's tables yet
                return None
        return int(row[0]) if row else None
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return int(MlflowClient(tracking_uri, tracking_uri)
                   .get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def champion_version(tracking_uri: str, name: str | None = None) -> int | None:
    """The version the `champion` alias points at; None before the first training."""
    return alias_version(tracking_uri, ALIAS, name)


def read_features(serving: Path) -> tuple[pd.DataFrame, str]:
    """The labelled, final rows of the features table in the serving copy, and the run id of
    the published gold they come from."""
    path = serving / SERVING_DB
    if not path.exists():
        raise UserError(f"no serving copy at {path}: run `lakehouse run` first (training reads "
                        "published gold)")
    with connect_serving(path) as con:
        try:
            run_id = con.execute("select run_id from ops.published").fetchone()[0]  # type: ignore[index]
            frame = con.execute(
                f"select order_id, line_number, predicted_at, commit_date, "
                f"{', '.join(FEATURES)}, {LABEL} "
                f"from {FEATURES_TABLE} where is_label_final and {LABEL} is not null "
                "order by order_id, line_number").df().astype({c: "float64" for c in NUMERIC})
        except duckdb.CatalogException as error:
            raise UserError(f"{FEATURES_TABLE} is not in the serving copy {path}: run "
                            "`lakehouse run` with this project first") from error
    return frame, str(run_id)


def split_by_time(frame: pd.DataFrame, validation_days: int) -> tuple[pd.DataFrame,
                                                                      pd.DataFrame, Any]:
    """Lines with final labels committed in the last `validation_days` (up to the latest
    commit date among them) validate; the ones committed before train. By commit date, not
    order date: a line's label is decided by its commit date at the latest, so the newest
    decided labels are the newest commit dates, and a short window still holds every kind of
    line (by order date, the last 30 days would hold none: commit dates are 30-90 days after
    the order). Returns (train, validation, the cutoff date)."""
    import pandas as pd

    cutoff = frame["commit_date"].max() - pd.Timedelta(days=validation_days)
    train = frame[frame["commit_date"] <= cutoff]
    validation = frame[frame["commit_date"] > cutoff]
    if len(train) == 0 or len(validation) == 0 or train[LABEL].nunique() < 2:
        raise UserError(f"not enough history to train: {len(train)} training and "
                        f"{len(validation)} validation rows with final labels "
                        f"(validation: the last {validation_days} days of commit dates)")
    return train, validation, cutoff


def recency_weights(train: pd.DataFrame, cutoff: Any, half_life_days: float) -> Any:
    """Each training line's weight: 1 at the cutoff, halved every `half_life_days` before it
    (by commit date); None (all equal) for a half-life of 0. A world that changed (a ship mode
    slower) is learnt from its recent lines instead of being outvoted by years of the old one;
    the price is fewer lines' worth of evidence, so it is a setting, not the default."""
    if not half_life_days:
        return None
    age = (cutoff - train["commit_date"]).dt.days.to_numpy()
    return 0.5 ** (age / half_life_days)


def new_model(regularization: float = 1.0) -> Pipeline:
    """One-hot categories, imputed and scaled numbers, a logistic regression: a calibrated
    probability, and types that MLflow's skops serialization trusts."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([
        ("categories", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL)),
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         list(NUMERIC)),
    ])
    return Pipeline([("columns", columns),
                     ("classifier", LogisticRegression(C=regularization, max_iter=1000,
                                                       random_state=SEED))])


def evaluate(probability: Any, label: Any, base_rate: float) -> dict[str, float]:
    """Validation metrics, with the base rate's (always predicting the training share) beside
    them: AUC (0.5 for any constant), log loss and Brier score."""
    import numpy as np
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    constant = np.full(len(label), base_rate)
    return {
        "val_auc": float(roc_auc_score(label, probability)),
        "val_log_loss": float(log_loss(label, probability, labels=[False, True])),
        "val_brier": float(brier_score_loss(label, probability)),
        "base_rate": float(base_rate),
        "base_log_loss": float(log_loss(label, constant, labels=[False, True])),
        "base_brier": float(brier_score_loss(label, constant)),
    }


def calibration_table(probability: Any, label: Any, bins: int = 10) -> pd.DataFrame:
    """Validation rows in `bins` equal-size groups by predicted probability: mean prediction,
    observed share late, and lift (observed share over the overall share)."""
    import pandas as pd

    frame = pd.DataFrame({"predicted": probability, "observed": label.astype(float).to_numpy()})
    frame["bin"] = pd.qcut(frame["predicted"].rank(method="first"), bins, labels=False) + 1
    table = frame.groupby("bin").agg(rows=("observed", "size"), predicted=("predicted", "mean"),
                                     observed=("observed", "mean")).reset_index()
    table["lift"] = table["observed"] / frame["observed"].mean()
    return table


def prediction_reference(probability: Any, bins: int = 10) -> dict[str, list[float]]:
    """The distribution of a model's predictions on its training rows, the reference the
    monitoring's prediction drift is measured against (`gold.ml_feature_drift`): the deciles'
    inner edges (distinct) and the share of rows in each bin, a row's bin being the number of
    edges below its prediction."""
    import numpy as np

    edges = np.unique(np.quantile(probability, np.arange(1, bins) / bins, method="inverted_cdf"))
    counts = np.bincount(np.searchsorted(edges, probability, side="left"),
                         minlength=len(edges) + 1)
    return {"edges": [float(e) for e in edges],
            "shares": [float(c) / len(probability) for c in counts]}


def promotion(metrics: dict[str, float]) -> tuple[bool, str]:
    """The promotion gate's decision on a challenger's validation metrics (with the champion's,
    `champion_val_*`, on the same rows when there is one), and why, with its figures."""
    skill = 1 - metrics["val_log_loss"] / metrics["base_log_loss"]
    if skill < MIN_SKILL:
        return False, (f"no skill: its log loss {metrics['val_log_loss']:.4f} is not {MIN_SKILL:.0%} "
                       f"below the base rate's {metrics['base_log_loss']:.4f} (skill {skill:.4f}); "
                       "it predicts little more than the base rate")
    if "champion_val_log_loss" not in metrics:
        return True, f"the first model with skill (log loss skill {skill:.4f} over the base rate)"
    champion_loss, champion_auc = metrics["champion_val_log_loss"], metrics["champion_val_auc"]
    if metrics["val_log_loss"] >= champion_loss:
        return False, (f"its log loss {metrics['val_log_loss']:.4f} is not below the champion's "
                       f"{champion_loss:.4f}")
    if metrics["val_auc"] < champion_auc - AUC_TOLERANCE:
        return False, (f"its AUC {metrics['val_auc']:.4f} is more than {AUC_TOLERANCE} below the "
                       f"champion's {champion_auc:.4f}")
    return True, (f"log loss {metrics['val_log_loss']:.4f} below the champion's "
                  f"{champion_loss:.4f}, AUC {metrics['val_auc']:.4f} (the champion's "
                  f"{champion_auc:.4f}), skill {skill:.4f} over the base rate")


@dataclass
class Trained:
    model: str
    version: int
    mlflow_run_id: str
    input_run_id: str
    promoted: bool
    champion_before: int | None
    metrics: dict[str, float]
    decision: str  # why the champion (or the challenger) moved to it, or not
    challenger: bool = False  # it is the challenger now


def train(settings: Settings, validation_days: int = VALIDATION_DAYS,
          regularization: float = 1.0, half_life_days: float = HALF_LIFE_DAYS,
          log: Callable[[str], None] = log_line) -> Trained:
    """Train on the serving copy's features, log to MLflow and register a new version: the
    `champion` when there is none yet and it has skill, else the `challenger` when it passes
    the gate against the champion on this validation set and beats the current challenger."""
    frame, input_run_id = read_features(settings.serving_dir)
    import mlflow
    import mlflow.sklearn

    train_rows, validation, cutoff = split_by_time(frame, validation_days)
    name, uri = model_name(), settings.tracking_uri
    log(f"training {name} on {len(train_rows)} order lines (committed up to {cutoff:%Y-%m-%d}"
        + (f", half-life {half_life_days:g} days" if half_life_days else "")
        + f"), validating on {len(validation)} (published run {input_run_id})")
    model = new_model(regularization).fit(
        train_rows[list(FEATURES)], train_rows[LABEL],
        classifier__sample_weight=recency_weights(train_rows, cutoff, half_life_days))
    probability = model.predict_proba(validation[list(FEATURES)])[:, 1]
    base_rate = float(train_rows[LABEL].mean())
    metrics = evaluate(probability, validation[LABEL], base_rate)

    client = use_store(uri)
    store = sqlite_store(uri)
    if mlflow.get_experiment_by_name(name) is None:
        mlflow.create_experiment(name, artifact_location=(store.parent / "artifacts").as_uri()
                                 if store else None)
    mlflow.set_experiment(name)
    champion = champion_version(uri, name)
    challenger = alias_version(uri, CHALLENGER, name)
    for alias, current_version in ((ALIAS, champion), (CHALLENGER, challenger)):
        if current_version is not None:  # on the same validation rows
            current = load_version(uri, name, current_version)
            scored = evaluate(current.predict_proba(validation[list(FEATURES)])[:, 1],
                              validation[LABEL], base_rate)
            metrics.update({f"{alias}_{key}": scored[key]
                            for key in ("val_auc", "val_log_loss", "val_brier")})
    metrics["val_log_loss_skill"] = 1 - metrics["val_log_loss"] / metrics["base_log_loss"]
    passed, decision = promotion(metrics)
    # the first model with skill is the champion; after it, a model that passes the gate on
    # the validation rows is only a challenger: the champion moves on the labels that arrive
    # after both have scored the same lines (`lakehouse promote`), never on one split alone
    promoted, challenged = passed and champion is None, passed and champion is not None
    if challenged and "challenger_val_log_loss" in metrics and (
            metrics["val_log_loss"] >= metrics["challenger_val_log_loss"]):
        challenged = False
        decision = (f"it passes the gate against the champion ({decision}), but its log loss "
                    f"{metrics['val_log_loss']:.4f} is not below the challenger's (version "
                    f"{challenger}) {metrics['challenger_val_log_loss']:.4f}")
    elif challenged:
        decision = (f"challenger: {decision}; the champion moves to it only on lines labelled "
                    "after both scored them (`lakehouse promote`)")
    with mlflow.start_run(run_name=f"train on published run {input_run_id}") as run:
        mlflow.set_tags({"lakehouse.input_run_id": input_run_id,
                         "lakehouse.features_table": FEATURES_TABLE,
                         "lakehouse.serving_copy": str(settings.serving_dir / SERVING_DB)})
        mlflow.log_params({
            "model": "LogisticRegression", "regularization_C": regularization,
            "features": ",".join(FEATURES), "validation_days": validation_days,
            "half_life_days": half_life_days,
            "train_commits_through": f"{cutoff:%Y-%m-%d}", "train_rows": len(train_rows),
            "validation_rows": len(validation), "seed": SEED,
        })
        mlflow.log_metrics(metrics)
        mlflow.log_dict({"categorical": list(CATEGORICAL), "numeric": list(NUMERIC),
                         "label": LABEL}, "features.json")
        mlflow.log_table(calibration_table(probability, validation[LABEL]),
                         "calibration.json")
        logged = mlflow.sklearn.log_model(model, name="model", registered_model_name=name,
                                          input_example=validation[list(FEATURES)].head(5),
                                          skops_trusted_types=TRUSTED_TYPES)
        version = int(logged.registered_model_version)
        reference = prediction_reference(model.predict_proba(train_rows[list(FEATURES)])[:, 1])
        for key, value in {"input_run_id": input_run_id,
                           "val_auc": f"{metrics['val_auc']:.4f}",
                           "train_commits_through": f"{cutoff:%Y-%m-%d}",
                           "prediction_reference": json.dumps(reference)}.items():
            client.set_model_version_tag(name, str(version), key, value)
        if promoted or challenged:
            client.set_registered_model_alias(name, ALIAS if promoted else CHALLENGER,
                                              str(version))
        mlflow.set_tags({"lakehouse.promoted": str(promoted).lower(),
                         "lakehouse.challenger": str(challenged).lower(),
                         "lakehouse.promotion_decision": decision})
        client.set_model_version_tag(name, str(version), "promotion_decision", decision)
    verdict = (f"`{ALIAS}` now points at version {version}" if promoted else
               f"`{CHALLENGER}` now points at version {version}, `{ALIAS}` stays at version "
               f"{champion}" if challenged else
               f"`{ALIAS}` stays at version {champion}" if champion is not None else
               f"no `{ALIAS}` yet")
    log(f"registered {name} version {version}: validation AUC {metrics['val_auc']:.4f} "
        f"(base rate {base_rate:.3f}, log loss {metrics['val_log_loss']:.4f} against the base "
        f"rate's {metrics['base_log_loss']:.4f}); {verdict}: {decision}")
    return Trained(name, version, run.info.run_id, input_run_id, promoted, champion, metrics,
                   decision, challenged)


def trained_json(result: Trained) -> str:
    return json.dumps(asdict(result), indent=2)
