"""Batch scoring in dbt Python models (`gold.pred_late_delivery` with the `champion`,
`gold.pred_late_delivery_challenger` with the `challenger`): every order line whose label is
undecided (not received, its commit date not past),
scored by the version an alias points at when the model builds (resolved once: the whole table
is scored by one version, named in a column). No version behind the alias: an empty table of
the same shape. The same version gives the same table, bit for bit."""

from __future__ import annotations

from typing import Any

from lakehouse.ml.training import alias_version, load_version

COLUMNS = ("order_id", "line_number", "predicted_at", "as_of_date")


def score_open_lines(features: Any, name: str, uri: str, alias: str) -> Any:
    """The open lines of `features` scored by the registered model `name`'s version behind
    `alias` in the MLflow store `uri`. The model's file passes them: dbt finds a Python model's
    dependencies (`dbt.ref`) and the config it reads (`dbt.config.meta_get`) in its own source,
    not in what it calls."""
    features = features.filter("is_late_delivery is null")
    version = alias_version(uri, alias, name)
    if version is None:
        return features.filter("false").project(
            f"{', '.join(COLUMNS)}, null::double as late_probability, "
            f"'{name}' as model_name, null::bigint as model_version"
        )

    scorer = load_version(uri, name, version)
    frame = features.order("order_id, line_number").df()
    scored = frame[list(COLUMNS)].copy()
    for column in ("predicted_at", "as_of_date"):  # dates, not pandas' timestamps
        scored[column] = frame[column].dt.date
    probability = scorer.predict_proba(frame[list(scorer.feature_names_in_)])[:, 1]
    scored["late_probability"] = probability.astype("float64")
    scored["model_name"] = name
    scored["model_version"] = int(version)
    return scored
