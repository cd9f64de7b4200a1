"""The machine-learning subcommands: `train`, `promote`, `serve-model`."""

from __future__ import annotations

import argparse

from lakehouse.config import Settings
from lakehouse.ml.training import HALF_LIFE_DAYS, VALIDATION_DAYS


def cmd_train(args: argparse.Namespace) -> int:
    """Train the late-delivery model on published gold; log and register it in MLflow."""
    from lakehouse.ml.training import train, trained_json

    result = train(Settings.from_env(), validation_days=args.validation_days,
                   regularization=args.regularization, half_life_days=args.half_life_days)
    if args.json:
        print(trained_json(result))
    return 0


def cmd_serve_model(args: argparse.Namespace) -> int:
    """The champion behind an HTTP endpoint on 127.0.0.1 (MLflow's scoring protocol)."""
    from lakehouse.ml.serving import serve_model

    return serve_model(Settings.from_env(), args.port, args.max_records,
                       args.log_rotate_seconds, args.challenger_share)


def cmd_promote(args: argparse.Namespace) -> int:
    """The promotion gate on realized performance: challenger against champion."""
    from lakehouse.ml.promotion import promote, promotion_json

    result = promote(Settings.from_env(), min_rows=args.min_rows)
    if args.json:
        print(promotion_json(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the late-delivery model on gold, track and "
                       "register it in MLflow",
                       description="Train the late-delivery model on gold.ml_late_delivery_"
                       "features as published (the serving copy), split by time; log it to "
                       "MLflow ($MLFLOW_TRACKING_URI, default a SQLite store beside the "
                       "warehouse) and register a new version. The first version with skill "
                       "(a log loss 1% below the base rate's) becomes `champion`; after it, a "
                       "version that passes the promotion gate against the champion on the "
                       "same validation rows (skill, a lower log loss, an AUC at most 0.005 "
                       "below) and beats the current challenger becomes `challenger`: the "
                       "champion moves on realized performance only (`lakehouse promote`). The "
                       "next `lakehouse run` scores with both (gold.pred_late_delivery, "
                       "gold.pred_late_delivery_challenger).")
    p.add_argument("--validation-days", type=int, default=VALIDATION_DAYS, metavar="N",
                   help="validate on the lines with final labels committed in the last N days "
                   f"(default {VALIDATION_DAYS})")
    p.add_argument("--half-life-days", type=float, default=HALF_LIFE_DAYS, metavar="H",
                   help="weight the training lines by recency: a line committed H days before "
                   "the validation window counts half, 2H a quarter (default "
                   f"{HALF_LIFE_DAYS:g}; 0: all lines alike)")
    p.add_argument("--regularization", type=float, default=1.0, metavar="C",
                   help="the logistic regression's inverse regularization strength (default 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("serve-model", help="serve the MLflow model's `champion` over HTTP on "
                       "127.0.0.1",
                       description="Serve the registered late-delivery model's `champion` "
                       "version on 127.0.0.1: MLflow's scoring protocol (POST /invocations with "
                       "dataframe_split, dataframe_records or instances; GET /ping, /version) "
                       "and POST /lookup by order line key, whose features are read from the "
                       "published gold.ml_late_delivery_features. A moved alias is served "
                       "within a second, without a restart; bad input gets a 4xx with a "
                       "one-line reason. Every request is logged before it is answered, as JSON "
                       "lines in the landing zone (inference/<date>/*.jsonl) that the next run "
                       "ingests (bronze.inference_log_raw -> gold.ml_inference_log).")
    p.add_argument("--port", type=int, default=5001, help="port (default 5001)")
    p.add_argument("--max-records", type=int, default=10_000, metavar="N",
                   help="the most records (or keys) one request may score (default 10000)")
    p.add_argument("--challenger-share", type=float, default=0.0, metavar="F",
                   help="send this share of requests (0 to 1) to the `challenger` version "
                   "while there is one, the variant logged per request (default 0)")
    p.add_argument("--log-rotate-seconds", type=float, default=60.0, metavar="S",
                   help="close the inference log's open file for bronze every S seconds "
                   "(and every 10000 lines, and at exit; default 60)")
    p.set_defaults(func=cmd_serve_model)
    p = sub.add_parser("promote", help="move the champion to the challenger if it does better "
                       "on the lines labelled since both scored them",
                       description="Apply the promotion gate (skill over the base rate, a lower "
                       "log loss than the champion's, an AUC at most 0.005 below) to the "
                       "`challenger` against the `champion` on the order lines both predicted "
                       "(batch shadow scores, the endpoint's traffic) whose labels have been "
                       "decided since, read from the published gold.ml_prediction_outcomes. On a pass "
                       "`champion` moves to the challenger; the decision is an MLflow run.")
    p.add_argument("--min-rows", type=int, default=100, metavar="N",
                   help="decide only on at least N labelled lines (default 100)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_promote)
