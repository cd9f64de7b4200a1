"""`lakehouse promote`: the champion moves to the challenger on realized performance, never on
one validation split alone.

Both versions score the same open order lines: the champion in `gold.pred_late_delivery`,
the challenger beside it in `gold.pred_late_delivery_challenger` (shadow) and on its share of
the endpoint's traffic. As the lines' labels are decided (received, or past the commit date
unreceived), the promotion gate
(`training.promotion`: skill over the base rate on a proper scoring rule, a lower log loss
than the champion's, an AUC not more than 0.005 below) is applied to the two versions' first
predictions of the same labelled lines, read from the published
`gold.ml_prediction_outcomes`. The base rate is these lines' own share late (the best constant
in hindsight: a stricter bar than the training share). Fewer than `min_rows` such lines: no
decision yet. The decision, its figures and the rows it was made on are an MLflow run in the
model's experiment and tags on the challenger's version; on promotion `champion` moves to the
challenger and the `challenger` alias is removed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from lakehouse import log as log_line
from lakehouse.build.publish import SERVING_DB, connect_serving
from lakehouse.config import Settings
from lakehouse.errors import UserError
from lakehouse.ml.training import (
    ALIAS,
    CHALLENGER,
    alias_version,
    evaluate,
    model_name,
    promotion,
    use_store,
)

MIN_ROWS = 100
# the challenger version's tag once the gate has decided on realized performance
GATE_TAG = "realized_gate"


@dataclass
class Promotion:
    model: str
    champion: int
    challenger: int
    rows: int  # labelled lines both scored
    promoted: bool
    decision: str
    metrics: dict[str, float]
    mlflow_run_id: str | None


def paired_outcomes(settings: Settings, name: str, champion: int,
                    challenger: int) -> tuple[list[float], list[float], list[bool], str]:
    """The labelled lines both versions predicted (the champion as `champion`, the challenger
    as `challenger`), with each one's first prediction and the label, from the serving copy;
    and the published run they are read from."""
    path = settings.serving_dir / SERVING_DB
    if not path.exists():
        raise UserError(f"no serving copy at {path}: run `lakehouse run` first")
    with connect_serving(path) as con:
        run_id = con.execute("select run_id from ops.published").fetchone()[0]  # type: ignore[index]
        rows = con.execute("""
            select current.prediction, candidate.prediction, current.is_late_delivery
            from gold.ml_prediction_outcomes as current
            inner join gold.ml_prediction_outcomes as candidate
                using (model_name, order_id, line_number)
            where current.model_name = ? and current.model_version = ?
              and current.variant = ? and candidate.model_version = ?
              and candidate.variant = ? and current.is_late_delivery is not null
            order by order_id, line_number""",
            [name, champion, ALIAS, challenger, CHALLENGER]).fetchall()
    return ([r[0] for r in rows], [r[1] for r in rows], [bool(r[2]) for r in rows],
            str(run_id))


def promote(settings: Settings, min_rows: int = MIN_ROWS,
            log: Callable[[str], None] = log_line) -> Promotion:
    """Apply the promotion gate to the challenger against the champion on the lines both
    scored whose labels are decided; move `champion` when it passes."""
    name, uri = model_name(), settings.tracking_uri
    champion, challenger = alias_version(uri, ALIAS, name), alias_version(uri, CHALLENGER, name)
    if champion is None or challenger is None:
        raise UserError(f"nothing to decide: {name} has no `{ALIAS if champion is None else CHALLENGER}`"
                        " version (`lakehouse train` registers a challenger once a champion "
                        "exists)")
    current, candidate, labels, run_id = paired_outcomes(settings, name, champion, challenger)
    metrics: dict[str, Any] = {"rows": len(labels)}
    promoted = decided = False
    if len(labels) < min_rows:
        decision = (f"no decision yet: {len(labels)} labelled line(s) scored by both; the gate "
                    f"needs {min_rows} (`--min-rows`)")
    elif len(set(labels)) < 2:
        decision = f"no decision yet: the {len(labels)} labelled lines are all of one class"
    else:
        decided = True
        base_rate = sum(labels) / len(labels)
        metrics.update(evaluate(candidate, labels, base_rate))
        scored = evaluate(current, labels, base_rate)
        metrics.update({f"champion_{k}": scored[k] for k in ("val_auc", "val_log_loss",
                                                             "val_brier")})
        promoted, decision = promotion(metrics)
    import mlflow

    client = use_store(uri)
    run_name = f"promote version {challenger} over {champion} on {len(labels)} labelled lines"
    mlflow.set_experiment(name)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags({"lakehouse.step": "promote", "lakehouse.input_run_id": run_id,
                         "lakehouse.champion": str(champion),
                         "lakehouse.challenger": str(challenger),
                         "lakehouse.promoted": str(promoted).lower(),
                         "lakehouse.promotion_decision": decision})
        mlflow.log_metrics({f"realized_{k.removeprefix('val_')}"
                            if not k.startswith("champion_") else
                            f"champion_realized_{k.removeprefix('champion_val_')}": float(v)
                            for k, v in metrics.items()})
        client.set_model_version_tag(name, str(challenger), "realized_promotion_decision",
                                     decision)
        if decided:  # the trial is over (`ml_alerts` retrains again only after it)
            client.set_model_version_tag(name, str(challenger), GATE_TAG,
                                         "passed" if promoted else "failed")
        if promoted:
            client.set_registered_model_alias(name, ALIAS, str(challenger))
            client.delete_registered_model_alias(name, CHALLENGER)
    verdict = (f"`{ALIAS}` now points at version {challenger}" if promoted else
               f"`{ALIAS}` stays at version {champion}")
    log(f"promote {name}: challenger version {challenger} against champion {champion} on "
        f"{len(labels)} labelled line(s) both scored (published run {run_id}); {verdict}: "
        f"{decision}")
    return Promotion(name, champion, challenger, len(labels), promoted, decision,
                     {k: float(v) for k, v in metrics.items()}, run.info.run_id)


def promotion_json(result: Promotion) -> str:
    return json.dumps(asdict(result), indent=2)
