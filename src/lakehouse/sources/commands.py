"""The source subcommands: `generate` (the simulated retail source), `deliver` (its files into
the landing zone, by day) and `capture` (change data capture from PostgreSQL)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lakehouse import log
from lakehouse.config import GENERATED, LANDING, Settings
from lakehouse.errors import ConfigError, UserError
from lakehouse.sources.delivery import deliver_days, generate_if_needed


def cmd_generate(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else Settings.from_env((GENERATED,)).generated
    drift = None
    if args.drift_ship_mode:
        from lakehouse.sources.generator.simulate import SHIP_MODE_NAMES, Drift

        if args.drift_ship_mode not in SHIP_MODE_NAMES:
            raise UserError(f"--drift-ship-mode {args.drift_ship_mode}: not a ship mode (one "
                            f"of {', '.join(SHIP_MODE_NAMES)})")
        drift = Drift(args.drift_ship_mode, args.drift_from_day, args.drift_delay_days)
    generate_if_needed(out, args.sf, args.days, args.seed, force=args.force,
                       change_scale=args.change_scale, drift=drift)
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    settings = Settings.from_env(((GENERATED,) if not args.source else ())
                                 + ((LANDING,) if not args.landing else ()))
    source = Path(args.source) if args.source else settings.generated
    landing = Path(args.landing) if args.landing else settings.landing
    delivered = deliver_days(source, landing, None if args.all else args.day)
    log(f"delivered {len(delivered)} new file(s) into {landing}")
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    """Capture changes from PostgreSQL into the landing zone (a failure is a CaptureError)."""
    from lakehouse.config import env_path
    from lakehouse.sources.capture import capture

    overrides = {}
    for setting in args.set:
        key, sep, value = setting.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set takes key=value, got '{setting}'")
        overrides[key.strip()] = value.strip()
    capture(Settings.from_env((LANDING,)).landing, env_path("LAKEHOUSE_CAPTURE_STATE"),
            tables=args.tables, overrides=overrides, idle_exit=args.idle_exit,
            max_seconds=args.max_seconds, log=log)
    return 0


def change_scale(text: str) -> float:
    """`--change-scale`: a factor in (0, MAX_CHANGE_SCALE]."""
    from lakehouse.sources.generator.rates import MAX_CHANGE_SCALE

    value = float(text)
    if not 0 < value <= MAX_CHANGE_SCALE:
        raise argparse.ArgumentTypeError(f"{text} is outside (0, {MAX_CHANGE_SCALE:g}]")
    return value


def data_options(p: argparse.ArgumentParser) -> None:
    """The generated data set's options (`generate`, `run --generate`, `bench`)."""
    p.add_argument("--sf", type=float, default=0.1, help="TPC-H scale factor (default 0.1)")
    p.add_argument("--days", type=int, default=7,
                   help="simulated days of changes after day 0 (default 7; 0 = day 0 only)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--change-scale", type=change_scale, default=1.0,
                   help="multiply the day's change volume (rates.py's DAILY_VOLUME: CDC "
                        "changes, catalog changes, web sessions) by this factor, up to 20 "
                        "(default 1)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="simulate the retail source (landing files + truth)",
                       description="Simulate the retail source system: day-0 Parquet extracts "
                       "from TPC-H dbgen, days of Debezium change events, daily catalog "
                       "extracts and web clickstream, with real-feed defects and ground truth. "
                       "Deterministic for a given seed.")
    data_options(p)
    p.add_argument("--out", help="output directory (default $LAKEHOUSE_GENERATED or "
                                 "data/generated)")
    p.add_argument("--force", action="store_true", help="regenerate even if present")
    p.add_argument("--drift-ship-mode", metavar="MODE",
                   help="drift for the late-delivery model: from --drift-from-day on, "
                   "deliveries in this ship mode (REG AIR, AIR, RAIL, SHIP, TRUCK, MAIL, FOB) "
                   "take --drift-delay-days longer, so more of its lines arrive late")
    p.add_argument("--drift-from-day", type=int, default=1, metavar="N",
                   help="the first simulated day of the drift (default 1)")
    p.add_argument("--drift-delay-days", type=int, default=20, metavar="D",
                   help="days added to the drifting mode's deliveries (default 20; negative: "
                   "faster, at the earliest the day after shipping)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("deliver", help="copy generated files into the landing zone, by day",
                       description="Deliver the generated files that have arrived by a day "
                       "(a late file arrives on a later day than its data) into the landing "
                       "zone, atomically and idempotently.")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--day", type=int, help="deliver files arriving on days 0..DAY")
    when.add_argument("--all", action="store_true", help="deliver every file")
    p.add_argument("--source", help="generated data set (default $LAKEHOUSE_GENERATED)")
    p.add_argument("--landing", help="landing zone (default $LAKEHOUSE_LANDING)")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("capture", help="change data capture from PostgreSQL (Debezium)",
                       description="Capture changes from a PostgreSQL database into the "
                       "landing zone's cdc/<table>/<date>/ files with the embedded Debezium "
                       "engine (initial snapshot, then the logical replication stream), at the "
                       "connector's default settings. Connection from PGHOST, PGPORT, PGUSER, "
                       "PGPASSWORD, PGDATABASE; offsets in $LAKEHOUSE_CAPTURE_STATE (default "
                       "data/capture), so a stopped or killed capture resumes where it was. "
                       "Runs until SIGINT/SIGTERM unless --idle-exit or --max-seconds.")
    p.add_argument("--tables", nargs="+", default=["customer", "orders", "lineitem"],
                   help="tables of schema public to capture (default customer orders lineitem)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a Debezium connector property, e.g. decimal.handling.mode=string or "
                        "converter.schemas.enable=false (repeatable)")
    p.add_argument("--idle-exit", type=float, metavar="SECONDS",
                   help="stop after this many seconds without a new event (with none at all: "
                        "after a 30 s start-up grace, then this many seconds)")
    p.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    p.set_defaults(func=cmd_capture)
