"""One row per order line not yet received: the chance that it arrives after its commit date,
from the registered MLflow model's `champion` version (`lakehouse train` registers and promotes
it). Before the first training there is no champion and the table is empty; `lakehouse run`
then skips this model altogether, and says so."""

from lakehouse.ml.training import champion_version

COLUMNS = ("order_id", "line_number", "predicted_at", "as_of_date")


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml", "ml_scoring"])
    name = dbt.config.meta_get("registered_model")
    uri = dbt.config.meta_get("tracking_uri")
    features = dbt.ref("ml_late_delivery_features").filter("is_late_delivery is null")
    # the alias resolved once: the whole table is scored by one version, named in a column
    version = champion_version(uri, name)
    if version is None:
        return features.filter("false").project(
            f"{', '.join(COLUMNS)}, null::double as late_probability, "
            f"'{name}' as model_name, null::bigint as model_version"
        )

    import mlflow
    import mlflow.sklearn

    mlflow.set_tracking_uri(uri)  # the model's artifacts are found through the tracking store
    mlflow.set_registry_uri(uri)
    scorer = mlflow.sklearn.load_model(f"models:/{name}/{version}")
    frame = features.order("order_id, line_number").df()
    scored = frame[list(COLUMNS)].copy()
    for column in ("predicted_at", "as_of_date"):  # dates, not pandas' timestamps
        scored[column] = frame[column].dt.date
    probability = scorer.predict_proba(frame[list(scorer.feature_names_in_)])[:, 1]
    scored["late_probability"] = probability.astype("float64")
    scored["model_name"] = name
    scored["model_version"] = int(version)
    return scored
