"""One row per order line not yet received: the chance that it arrives after its commit date,
from the registered MLflow model's `champion` version (`lakehouse train` registers and promotes
it). Before the first training there is no champion and the table is empty; `lakehouse run`
then skips this model altogether, and says so."""

from lakehouse.ml.batch import score_open_lines


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml", "ml_scoring"])
    return score_open_lines(dbt.ref("ml_late_delivery_features"),
                            dbt.config.meta_get("registered_model"),
                            dbt.config.meta_get("tracking_uri"), "champion")
