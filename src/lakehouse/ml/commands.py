"""The machine-learning subcommand: `train`."""

from __future__ import annotations

import argparse

from lakehouse.config import Settings


def cmd_train(args: argparse.Namespace) -> int:
    """Train the late-delivery model on published gold; log and register it in MLflow."""
    from lakehouse.ml.training import train, trained_json

    result = train(Settings.from_env(), validation_days=args.validation_days,
                   regularization=args.regularization)
    if args.json:
        print(trained_json(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the late-delivery model on gold, track and "
                       "register it in MLflow",
                       description="Train the late-delivery model on gold.ml_late_delivery_"
                       "features as published (the serving copy), split by time; log it to "
                       "MLflow ($MLFLOW_TRACKING_URI, default a SQLite store beside the "
                       "warehouse), register a new version, and give it the alias `champion` "
                       "if it passes the promotion gate on the same validation rows as the "
                       "champion (log loss skill over the base rate, a lower log loss than the "
                       "champion's, an AUC at most 0.005 below). The "
                       "next `lakehouse run` scores with the champion (gold.pred_late_delivery).")
    p.add_argument("--validation-days", type=int, default=365, metavar="N",
                   help="validate on the last N days of orders with final labels (default 365)")
    p.add_argument("--regularization", type=float, default=1.0, metavar="C",
                   help="the logistic regression's inverse regularization strength (default 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_train)
