"""One row per version of the registered MLflow model: its aliases, the MLflow run that trained
it, what it was trained on (the published run, the last order date of its training rows) and
its validation metrics, and the distribution of its predictions on its training rows (the
reference of the monitoring's prediction drift). The registry as a table, for the monitoring
models to join."""

import datetime as dt
import json

from lakehouse.ml.training import sqlite_store

# explicit types, so that the table has them with no version registered too (a plain `dbt
# build` before the first training; pandas' `object` would give DuckDB an INTEGER column)
COLUMNS = {
    "model_name": "string", "model_version": "int64", "aliases": "string",
    "is_champion": "bool", "registered_at": "datetime64[us]", "mlflow_run_id": "string",
    "input_run_id": "string", "train_commits_through": "datetime64[us]", "train_rows": "Int64",
    "validation_rows": "Int64", "train_base_rate": "float64", "val_auc": "float64",
    "val_log_loss": "float64", "val_brier": "float64", "promotion_decision": "string",
    "prediction_reference": "string",
}


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml", "ml_scoring"])
    name = dbt.config.meta_get("registered_model")
    uri = dbt.config.meta_get("tracking_uri")
    import pandas as pd

    store = sqlite_store(uri)
    if store is not None and not store.exists():  # nothing registered (and no MLflow start-up)
        return pd.DataFrame({c: [] for c in COLUMNS}).astype(COLUMNS)
    from mlflow import MlflowClient

    client = MlflowClient(uri, uri)
    aliases = {}
    if client.search_registered_models(f"name = '{name}'"):
        for alias, version in client.get_registered_model(name).aliases.items():
            aliases.setdefault(int(version), []).append(alias)
    rows = []
    for version in client.search_model_versions(f"name = '{name}'"):
        run = client.get_run(version.run_id) if version.run_id else None
        params = run.data.params if run else {}
        metrics = run.data.metrics if run else {}
        through = version.tags.get("train_commits_through") or params.get("train_commits_through")
        reference = version.tags.get("prediction_reference")
        rows.append({
            "model_name": name,
            "model_version": int(version.version),
            "aliases": ",".join(sorted(aliases.get(int(version.version), []))),
            "is_champion": "champion" in aliases.get(int(version.version), []),
            "registered_at": dt.datetime.fromtimestamp(version.creation_timestamp / 1000,
                                                       dt.UTC).replace(tzinfo=None),
            "mlflow_run_id": version.run_id,
            "input_run_id": version.tags.get("input_run_id"),
            "train_commits_through": dt.datetime.fromisoformat(through) if through else None,
            "train_rows": int(params["train_rows"]) if "train_rows" in params else None,
            "validation_rows": (int(params["validation_rows"]) if "validation_rows" in params
                                else None),
            "train_base_rate": metrics.get("base_rate"),
            "val_auc": metrics.get("val_auc"),
            "val_log_loss": metrics.get("val_log_loss"),
            "val_brier": metrics.get("val_brier"),
            "promotion_decision": version.tags.get("promotion_decision"),
            "prediction_reference": json.dumps(json.loads(reference)) if reference else None,
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMNS)
    return frame.sort_values("model_version").reset_index(drop=True)
