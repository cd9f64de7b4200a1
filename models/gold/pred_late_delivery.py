"""One row per order line not yet received: the chance that it arrives after its commit date,
from the registered MLflow model's `champion` version (`lakehouse train` registers and promotes
it). `lakehouse run` builds this model once a champion exists and skips it before."""

import mlflow
import mlflow.sklearn
from mlflow import MlflowClient


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml", "ml_scoring"])
    name = dbt.config.get("registered_model")
    uri = dbt.config.get("tracking_uri")
    client = MlflowClient(uri, uri)
    # the alias resolved once: the whole table is scored by one version, named in a column
    version = client.get_model_version_by_alias(name, "champion").version
    mlflow.set_registry_uri(uri)
    scorer = mlflow.sklearn.load_model(f"models:/{name}/{version}")

    features = (
        dbt.ref("ml_late_delivery_features")
        .filter("is_late_delivery is null")
        .order("order_id, line_number")
        .df()
    )
    scored = features[["order_id", "line_number"]].copy()
    for column in ("predicted_at", "as_of_date"):  # dates, not pandas' timestamps
        scored[column] = features[column].dt.date
    probability = scorer.predict_proba(features[list(scorer.feature_names_in_)])[:, 1]
    scored["late_probability"] = probability.astype("float64")
    scored["model_name"] = name
    scored["model_version"] = int(version)
    return scored
