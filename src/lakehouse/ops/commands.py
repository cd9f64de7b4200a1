"""The operations subcommands: `alerts list|validate|check|history` and `incidents` (list,
`ack`, `resolve`); and `after_run`, the alerts' evaluation at the end of every `lakehouse run`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from lakehouse import log
from lakehouse.build.landing import has_table
from lakehouse.config import DB, Settings, target_path
from lakehouse.errors import UserError
from lakehouse.lake.commands import print_rows
from lakehouse.ops import alerts
from lakehouse.ops.destinations import deliver
from lakehouse.warehouse import connect


def manifest() -> dict[str, Any] | None:
    """dbt's manifest of the last parse or build (for the SLAs declared in the project)."""
    path = target_path() / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def validated(settings: Settings) -> alerts.Config:
    """The alerts, checked against the warehouse; a broken one is an AlertConfigError."""
    config = alerts.load()
    alerts.validate(config, settings.db, manifest())
    return config


def check(settings: Settings, config: alerts.Config, run_id: str | None = None,
          say: Callable[[str], None] = log) -> list[alerts.Evaluation]:
    """Evaluate the alerts, then send what they notify (and what earlier deliveries could
    not); say what changed."""
    evaluations = alerts.evaluate(settings.db, config, manifest(), run_id)
    for e in evaluations:
        if e.error:
            say(f"alert {e.alert.name}: not evaluated: {e.error}")
        elif e.transition:
            say(f"alert {e.alert.name} {e.transition}"
                + (f": {e.detail}" if e.detail and e.transition == "triggered" else ""))
    sent = deliver(settings.db, config)
    if sent["sent"] or sent["failed"]:
        say(f"notifications: {sent['sent']} sent, {sent['failed']} failed (retried later)")
    return evaluations


def after_run(settings: Settings, run_id: str, say: Callable[[str], None] = log) -> None:
    """The alerts' evaluation that ends every run, failed ones too; it never fails the run."""
    try:
        config = alerts.load()
        if config.alerts:  # none declared: the warehouse is left as the run left it
            check(settings, config, run_id, say)
    except Exception as error:  # an alert must not turn a run's outcome into another
        say(f"alerts not evaluated after run {run_id}: {type(error).__name__}: {error}")


def cmd_alerts(args: argparse.Namespace) -> int:
    settings = Settings.from_env((DB,))
    if args.action == "validate":
        config = validated(settings)
        log(f"{len(config.alerts)} alert(s), {len(config.destinations)} destination(s) "
            f"in {alerts.alerts_dir()}: valid")
    elif args.action == "list":
        config = alerts.load()
        states: dict[str, tuple] = {}
        if settings.db.exists():
            con = connect(settings.db, read_only=True)
            try:
                if has_table(con, "ops", "alert_state"):
                    states = {r[0]: r[1:] for r in con.execute(
                        "select alert, state, since, value from ops.alert_state").fetchall()}
            finally:
                con.close()
        rows = [(a.name, a.builtin or "sql", a.severity, a.owner, ", ".join(a.destinations),
                 *states.get(a.name, ("OK", None, None))) for a in config.alerts]
        print_rows(["alert", "kind", "severity", "owner", "destinations", "state", "since",
                    "value"], rows, args.json)
    elif args.action == "check":
        check(settings, validated(settings))
    else:
        _print_table(settings.db, "select evaluated_at, alert, state, transition, value, detail, "
                     "error from ops.alert_history order by evaluated_at desc, alert limit ?",
                     [args.limit], args.json)
    return 0


def _print_table(db: Path, sql: str, params: list[Any], as_json: bool) -> None:
    if not db.exists():
        raise UserError(f"no warehouse at {db}: run `lakehouse run` first")
    con = connect(db, read_only=True)
    try:
        try:
            cursor = con.execute(sql, params)
        except duckdb.CatalogException as error:  # ops' tables are made by the first evaluation
            raise UserError("no alert has been evaluated yet (`lakehouse alerts check`)") \
                from error
        print_rows([d[0] for d in cursor.description or []], cursor.fetchall(), as_json)
    finally:
        con.close()


def cmd_incidents(args: argparse.Namespace) -> int:
    settings = Settings.from_env((DB,))
    if args.action in ("ack", "resolve"):
        if args.id is None:
            raise UserError(f"incidents {args.action}: which incident? (an ID from "
                            "`lakehouse incidents`)")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        column = "acknowledged" if args.action == "ack" else "resolved"
        con = connect(settings.db)
        try:
            found = con.execute(f"update ops.incidents set {column}_at = ?, {column}_by = ?, "
                                "note = coalesce(?, note) where incident_id = ? "
                                f"and {column}_at is null returning incident_id",
                                [now, args.by, args.note, args.id]).fetchall()
        finally:
            con.close()
        if not found:
            raise UserError(f"incident {args.id}: none open with that ID to {args.action}")
        log(f"incident {args.id} {column} by {args.by}")
        return 0
    where = "" if args.all else "where resolved_at is null"
    _print_table(settings.db, "select incident_id, alert, severity, owner, opened_at, "
                 "acknowledged_at, acknowledged_by, resolved_at, resolved_by, note, detail "
                 f"from ops.incidents {where} order by incident_id desc limit ?",
                 [args.limit], args.json)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="alerts as code: list, validate, check, history",
                       description="The alerts declared in alerts/*.yml ($LAKEHOUSE_ALERTS): "
                       "`list` with their state, `validate` (queries, destinations, secrets, "
                       "SLAs), `check` (evaluate now and notify), `history` (every evaluation).")
    p.add_argument("action", choices=("list", "validate", "check", "history"))
    p.add_argument("--limit", type=int, default=50, help="history rows (default 50)")
    p.add_argument("--json", action="store_true", help="JSON rows")
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("incidents", help="incidents opened by alerts: list, ack, resolve",
                       description="The incidents alerts opened (ops.incidents): open ones "
                       "(`--all`: every one); `ack ID` or `resolve ID` with --by and --note. An "
                       "incident resolves by itself when its alert clears.")
    p.add_argument("action", nargs="?", choices=("list", "ack", "resolve"), default="list")
    p.add_argument("id", nargs="?", type=int, help="the incident (ack, resolve)")
    p.add_argument("--by", default="operator", help="who acknowledges or resolves it")
    p.add_argument("--note", help="a note kept with the incident")
    p.add_argument("--all", action="store_true", help="resolved incidents too")
    p.add_argument("--limit", type=int, default=50, help="rows (default 50)")
    p.add_argument("--json", action="store_true", help="JSON rows")
    p.set_defaults(func=cmd_incidents)
