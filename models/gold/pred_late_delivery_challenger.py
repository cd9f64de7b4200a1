"""The challenger's shadow scores: the same open order lines as gold.pred_late_delivery, scored
by the version the `challenger` alias points at (`lakehouse train` sets it on a model that
passes the promotion gate against the champion on the validation rows), so that both versions
have predicted the same lines when their labels arrive and `lakehouse promote` compares them
on those. Empty when there is no challenger."""

from lakehouse.ml.batch import score_open_lines


def model(dbt, session):
    dbt.config(materialized="table", tags=["ml", "ml_scoring"])
    return score_open_lines(dbt.ref("ml_late_delivery_features"),
                            dbt.config.meta_get("registered_model"),
                            dbt.config.meta_get("tracking_uri"), "challenger")
