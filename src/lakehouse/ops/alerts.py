"""Alerts as code (Databricks SQL alerts): declared in YAML under `alerts/` at the project's top
(beside `models/`: version-controlled with the project, reviewed like a model, and not dbt YAML,
which dbt would reject a top-level `alerts:` key in), evaluated after every `lakehouse run` and
by `lakehouse alerts check` (the Dagster schedule runs it).

Each alert is a query over the warehouse and a condition on its result (the first column of the
first row against a threshold, or any row at all), or a built-in (`BUILTINS`: a run failed,
data staler than its SLA, ...), with a severity, an owner and destinations. Each is a small state
machine kept in `ops.alert_state`: OK -> TRIGGERED notifies once, TRIGGERED stays without
notifying, TRIGGERED -> OK notifies the resolution once. A transition, its row in
`ops.alert_history` (every evaluation is appended there), its incident (`ops.incidents`) and
its notifications (the outbox, `ops.notifications`) are written in one transaction; the
notifications are sent after it (`destinations.deliver`), so a process killed in between sends
them on its next evaluation: none lost, none sent twice (but for a kill between a send and the
row that records it: the payload's `notification_id` lets a receiver drop that copy).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from lakehouse.config import PROJECT_DIR
from lakehouse.errors import ConfigError
from lakehouse.warehouse import connect

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda v, t: v > t, ">=": lambda v, t: v >= t, "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t, "==": lambda v, t: v == t, "!=": lambda v, t: v != t,
}
SEVERITIES = ("critical", "warning", "info")
DESTINATION_TYPES = ("webhook", "email", "log")
OK, TRIGGERED = "OK", "TRIGGERED"
ENV_REFERENCE = re.compile(r"\$\{(\w+)\}")
DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

DDL = """
create schema if not exists ops;
create table if not exists ops.alert_state (
    alert varchar, state varchar, since timestamp, value varchar, evaluated_at timestamp);
create table if not exists ops.alert_history (
    evaluated_at timestamp, alert varchar, severity varchar, owner varchar, state varchar,
    previous_state varchar, transition varchar, value varchar, detail varchar, run_id varchar,
    error varchar);
create table if not exists ops.notifications (
    notification_id varchar, alert varchar, transition varchar, destination varchar,
    payload varchar, status varchar, attempts integer, last_error varchar,
    created_at timestamp, sent_at timestamp);
create table if not exists ops.incidents (
    incident_id integer, alert varchar, severity varchar, owner varchar, opened_at timestamp,
    detail varchar, acknowledged_at timestamp, acknowledged_by varchar, resolved_at timestamp,
    resolved_by varchar, note varchar);
"""


class AlertConfigError(ConfigError):
    """An alert, a destination or an SLA that cannot work, named with its file."""


def alerts_dir() -> Path:
    """Where the alerts are declared: LAKEHOUSE_ALERTS, else the project's `alerts/`."""
    return Path(os.environ.get("LAKEHOUSE_ALERTS") or PROJECT_DIR / "alerts")


def duration_seconds(text: str | int | float) -> float:
    """`26h`, `30m`, `10s`, `2d` (or a number of seconds) in seconds."""
    if isinstance(text, int | float):
        return float(text)
    found = DURATION.match(str(text).strip())
    if not found:
        raise ValueError(f"'{text}' is not a duration such as 26h, 30m, 10s or 2d")
    return float(found.group(1)) * SECONDS[found.group(2)]


@dataclass(frozen=True)
class Destination:
    name: str
    type: str
    settings: dict[str, Any]
    file: str

    def secrets(self) -> list[str]:
        """The environment variables this destination needs."""
        names = [m for v in self.settings.values() for m in ENV_REFERENCE.findall(str(v))]
        if self.type == "email":
            names.append("LAKEHOUSE_SMTP_HOST")
        return names

    def resolved(self, key: str) -> Any:
        """A setting with its `${VAR}` references replaced from the environment."""
        def substituted(text: str) -> str:
            return ENV_REFERENCE.sub(lambda m: os.environ.get(m.group(1), ""), text)

        value = self.settings.get(key)
        if isinstance(value, str):
            return substituted(value)
        if isinstance(value, list):
            return [substituted(str(v)) for v in value]
        return value


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    owner: str
    destinations: tuple[str, ...]
    file: str
    sql: str | None = None
    operator: str | None = None
    threshold: float | None = None
    any_row: bool = False
    builtin: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass
class Config:
    alerts: list[Alert]
    destinations: dict[str, Destination]


def load(directory: Path | None = None) -> Config:
    """Every alert and destination under `directory` (default `alerts_dir()`), checked for
    form: a mistake is an AlertConfigError naming the file, the alert and the problem."""
    directory = directory or alerts_dir()
    alerts: list[Alert] = []
    destinations: dict[str, Destination] = {}
    files = sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml")) \
        if directory.is_dir() else []
    for path in files:
        where = str(path.relative_to(directory.parent) if directory.parent in path.parents
                    else path)
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise AlertConfigError(f"{where}: not YAML ({str(error).splitlines()[0]})") from None
        for entry in document.get("destinations") or []:
            name, kind = entry.get("name"), entry.get("type")
            if not name or kind not in DESTINATION_TYPES:
                raise AlertConfigError(f"{where}: destination {name or '?'}: type must be one of "
                                       f"{', '.join(DESTINATION_TYPES)}")
            if name in destinations:
                raise AlertConfigError(f"{where}: destination {name} is declared twice")
            if kind == "webhook" and not entry.get("url"):
                raise AlertConfigError(f"{where}: destination {name}: a webhook needs a url")
            if kind == "email" and not entry.get("to"):
                raise AlertConfigError(f"{where}: destination {name}: an email needs `to`")
            settings = {k: v for k, v in entry.items() if k not in ("name", "type")}
            destinations[name] = Destination(name, kind, settings, where)
        for entry in document.get("alerts") or []:
            alerts.append(_alert(entry, where))
    names = [a.name for a in alerts]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise AlertConfigError(f"alert(s) declared twice: {', '.join(twice)}")
    for alert in alerts:
        for name in alert.destinations:
            if name not in destinations:
                raise AlertConfigError(f"{alert.file}: alert {alert.name}: unknown destination "
                                       f"'{name}' (declared: {', '.join(destinations) or 'none'})")
    return Config(alerts, destinations)


def _alert(entry: dict[str, Any], where: str) -> Alert:
    name = entry.get("name")
    if not name or not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
        raise AlertConfigError(f"{where}: alert {name or '?'}: a name is lowercase letters, "
                               "digits and underscores")
    problem = f"{where}: alert {name}:"
    severity = entry.get("severity", "warning")
    if severity not in SEVERITIES:
        raise AlertConfigError(f"{problem} severity must be one of {', '.join(SEVERITIES)}")
    destinations = tuple(entry.get("destinations") or ())
    if not destinations:
        raise AlertConfigError(f"{problem} no destinations")
    common = {"name": name, "severity": severity, "owner": str(entry.get("owner") or ""),
              "destinations": destinations, "file": where,
              "description": str(entry.get("description") or "")}
    if entry.get("builtin"):
        if entry["builtin"] not in BUILTINS:
            raise AlertConfigError(f"{problem} unknown builtin '{entry['builtin']}' (one of "
                                   f"{', '.join(BUILTINS)})")
        return Alert(builtin=entry["builtin"], params=dict(entry.get("params") or {}), **common)
    sql, condition = entry.get("sql"), entry.get("condition") or {}
    if not sql:
        raise AlertConfigError(f"{problem} needs `sql` (or `builtin`)")
    if condition.get("any_row"):
        return Alert(sql=sql, any_row=True, **common)
    operator, threshold = condition.get("operator"), condition.get("threshold")
    if operator not in OPERATORS or not isinstance(threshold, int | float):
        raise AlertConfigError(f"{problem} condition needs an operator ({' '.join(OPERATORS)}) "
                               "and a numeric threshold, or `any_row: true`")
    return Alert(sql=sql, operator=operator, threshold=float(threshold), **common)


# ---- built-in alerts: SQL over the run history, the ledger and the data-quality results ----

LATEST_RUN = "(select {column} from ops.run_history order by started_at desc limit 1)"
MODELS = ("from_json(runs.models, '[{\"node\": \"VARCHAR\", \"status\": \"VARCHAR\", "
          "\"seconds\": \"DOUBLE\"}]')")


def _run_failed(_: Alert, __: dict) -> str:
    return ("select run_id, failure from ops.run_history where status = 'failed' "
            f"and run_id = {LATEST_RUN.format(column='run_id')}")


def _files_quarantined(_: Alert, __: dict) -> str:
    return ("select feed, source_file, reason from bronze.quarantine_landing "
            f"where list_contains({LATEST_RUN.format(column='dbt_invocations')}, run_id) "
            "order by source_file")


def _expectation_failure_rate(alert: Alert, _: dict) -> str:
    threshold = float(alert.params.get("threshold", 0.01))
    return ("select model_name, expectation_name, failed_rows, rows_checked "
            "from silver.dq_expectation_results where "
            f"list_contains({LATEST_RUN.format(column='dbt_invocations')}, run_id) "
            f"and rows_checked > 0 and failed_rows > {threshold} * rows_checked "
            "order by failed_rows desc")


def _successful_runs(params: dict) -> str:
    return (f"select * from (select *, row_number() over (order by started_at desc) as n "
            f"from ops.run_history where status = 'success') "
            f"where n <= {int(params.get('window', 20)) + 1}")


def _slow_run(alert: Alert, _: dict) -> str:
    factor, least = float(alert.params.get("factor", 2)), int(alert.params.get("min_runs", 5))
    return (f"with runs as ({_successful_runs(alert.params)}), "
            "seconds as (select n, run_id, epoch(ended_at - started_at) as seconds from runs) "
            "select latest.run_id, latest.seconds, median(earlier.seconds) as median_seconds "
            "from seconds as latest, seconds as earlier where latest.n = 1 and earlier.n > 1 "
            f"group by all having count(*) >= {least} "
            f"and latest.seconds > {factor} * median(earlier.seconds)")


def _slow_model(alert: Alert, _: dict) -> str:
    factor, least = float(alert.params.get("factor", 2)), int(alert.params.get("min_runs", 5))
    floor = float(alert.params.get("min_seconds", 1))
    return (f"with runs as ({_successful_runs(alert.params)}), "
            f"nodes as (select runs.n, m.node, m.seconds from runs, unnest({MODELS}) as t(m) "
            "where m.node like 'model.%' and m.status = 'success') "
            "select latest.node, latest.seconds, median(earlier.seconds) as median_seconds "
            "from nodes as latest join nodes as earlier using (node) "
            "where latest.n = 1 and earlier.n > 1 "
            f"group by all having count(*) >= {least} and latest.seconds >= {floor} "
            f"and latest.seconds > {factor} * median(earlier.seconds) order by 2 desc")


def _freshness(alert: Alert, context: dict) -> str:
    """Each SLA the alert watches (`declared_slas`) against the age of its data: the time
    since the last run that built the model successfully (an exposure: its stalest model)."""
    rows = [f"('{name}', '{node}', {seconds})"
            for name, nodes, seconds in declared_slas(context["manifest"], alert)
            for node in nodes]
    if not rows:
        return "select null as name where false"
    return (f"with sla(name, node, max_age_seconds) as (values {', '.join(rows)}), "
            f"built as (select m.node, max(runs.ended_at) as built_at from ops.run_history "
            f"as runs, unnest({MODELS}) as t(m) where m.status = 'success' group by 1), "
            f"ages as (select sla.name, max(epoch(timestamp '{context['now']}' - "
            "coalesce(built.built_at, timestamp '1970-01-01'))) as age_seconds, "
            "any_value(sla.max_age_seconds) as max_age_seconds "
            "from sla left join built using (node) group by sla.name) "
            "select name, round(age_seconds, 1) as age_seconds, max_age_seconds from ages "
            "where age_seconds > max_age_seconds order by 1")


def _serving_stale(alert: Alert, context: dict) -> str:
    max_age = duration_seconds(alert.params.get("max_age", "26h"))
    return ("select run_id, ended_at as published_at from ops.run_history where published "
            "and ended_at = (select max(ended_at) from ops.run_history where published) "
            f"and epoch(timestamp '{context['now']}' - ended_at) > {max_age}")


BUILTINS: dict[str, Callable[[Alert, dict], str]] = {
    "run_failed": _run_failed,
    "freshness": _freshness,
    "expectation_failure_rate": _expectation_failure_rate,
    "files_quarantined": _files_quarantined,
    "slow_run": _slow_run,
    "slow_model": _slow_model,
    "serving_stale": _serving_stale,
}


def declared_slas(manifest: dict[str, Any], alert: Alert) -> list[tuple[str, list[str], float]]:
    """The freshness SLAs: (name, model nodes, seconds), from `config.meta.freshness_sla` of
    the exposures and models in dbt's manifest, and the alert's `slas` parameter."""
    def models_of(node: dict[str, Any]) -> list[str]:
        return ([node["unique_id"]] if node["resource_type"] == "model"
                else [n for n in node["depends_on"]["nodes"] if n.startswith("model.")])

    candidates = {n["name"]: n for n in [*manifest.get("nodes", {}).values(),
                                         *manifest.get("exposures", {}).values()]
                  if n.get("resource_type") in ("model", "exposure")}
    found: dict[str, tuple[list[str], float]] = {}
    for name, node in candidates.items():
        meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
        if "freshness_sla" in meta:
            found[name] = (models_of(node), duration_seconds(meta["freshness_sla"]))
    for name, duration in (alert.params.get("slas") or {}).items():
        if name not in candidates:
            raise AlertConfigError(f"{alert.file}: alert {alert.name}: SLA on '{name}', which "
                                   "is no model or exposure of the project")
        found[name] = (models_of(candidates[name]), duration_seconds(duration))
    return [(name, nodes, seconds) for name, (nodes, seconds) in sorted(found.items())]


def query_of(alert: Alert, context: dict) -> str:
    return BUILTINS[alert.builtin](alert, context) if alert.builtin else str(alert.sql)


def context_for(config: Config, manifest: dict[str, Any] | None,
                now: dt.datetime | None = None) -> dict[str, Any]:
    """What the built-ins read besides the warehouse: the time of the evaluation and dbt's
    manifest; every freshness alert's SLAs checked against it (an AlertConfigError)."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for alert in config.alerts:
        if alert.builtin == "freshness":
            try:
                declared_slas(manifest or {}, alert)
            except ValueError as error:
                raise AlertConfigError(f"{alert.file}: alert {alert.name}: {error}") from None
    return {"now": now.isoformat(sep=" "), "manifest": manifest or {}}


def validate(config: Config, db: Path, manifest: dict[str, Any] | None) -> None:
    """Every alert's query plans against the warehouse (its SQL parses, its tables exist),
    every destination's secrets are set: else an AlertConfigError naming the alert."""
    context_for(config, manifest)  # the SLAs name models and exposures of the project
    for destination in config.destinations.values():
        unset = [name for name in destination.secrets() if not os.environ.get(name)]
        if unset:
            raise AlertConfigError(f"{destination.file}: destination {destination.name}: "
                                   f"{', '.join(unset)} is not set")
    if not db.exists() or all(alert.builtin for alert in config.alerts):
        return  # no warehouse yet (the queries are planned after the first run), or no query
    con = connect(db, read_only=True)
    try:
        for alert in config.alerts:
            if alert.builtin:
                continue  # their tables appear with the first run; their SQL is the project's
            try:
                con.execute(f"explain {alert.sql}")
            except duckdb.Error as error:
                if unbuilt_model(error):
                    continue  # the next build makes it (a warehouse built before it was added)
                first = str(error).splitlines()[0]
                raise AlertConfigError(f"{alert.file}: alert {alert.name}: {first}") from None
    finally:
        con.close()


MISSING_TABLE = re.compile(r'Table with name "?(?:\w+\.)?(\w+)"? does not exist')


def unbuilt_model(error: duckdb.Error) -> bool:
    """Whether `error` is a query's table that the project builds (a model file of that name:
    model file name = table name) but the warehouse does not hold yet, as after a model is
    added: not a broken alert; the next build makes it."""
    found = MISSING_TABLE.search(str(error)) if isinstance(error, duckdb.CatalogException) else None
    return found is not None and any(
        path.stem == found.group(1) and path.suffix in (".sql", ".py")
        for path in (PROJECT_DIR / "models").rglob(f"{found.group(1)}.*"))


@dataclass
class Evaluation:
    alert: Alert
    state: str
    previous: str
    value: str | None
    detail: str | None
    error: str | None = None

    @property
    def transition(self) -> str | None:
        if self.error or self.state == self.previous:
            return None
        return "triggered" if self.state == TRIGGERED else "resolved"


def _evaluate_one(con: duckdb.DuckDBPyConnection, alert: Alert, context: dict,
                  previous: str) -> Evaluation:
    try:
        cursor = con.execute(query_of(alert, context))
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(6)
    except duckdb.Error as error:
        missing = (alert.builtin and isinstance(error, duckdb.CatalogException)) or (
            unbuilt_model(error))
        # a built-in, or a query over a model, whose table the warehouse has not built yet has
        # nothing to say
        if missing:
            return Evaluation(alert, OK, previous, None, None) if previous == OK else \
                Evaluation(alert, previous, previous, None, None)
        return Evaluation(alert, previous, previous, None, None, str(error).splitlines()[0])
    detail = "; ".join(", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True))
                       for row in rows[:5]) or None
    if alert.any_row or alert.builtin:
        return Evaluation(alert, TRIGGERED if rows else OK, previous,
                          str(len(rows)) if len(rows) < 6 else "6+", detail)
    value = rows[0][0] if rows else None
    try:
        met = value is not None and OPERATORS[str(alert.operator)](float(value),
                                                                   float(alert.threshold or 0))
    except (TypeError, ValueError):
        return Evaluation(alert, previous, previous, str(value), detail,
                          f"the first column is not a number: {value!r}")
    return Evaluation(alert, TRIGGERED if met else OK, previous, str(value), detail)


def payload(evaluation: Evaluation, notification_id: str, at: str, run_id: str | None) -> dict:
    alert = evaluation.alert
    verb = "TRIGGERED" if evaluation.transition == "triggered" else "resolved"
    text = (f"[{alert.severity.upper()}] {alert.name} {verb}"
            + (f" (owner {alert.owner})" if alert.owner else "")
            + (f": {evaluation.detail}" if evaluation.detail and verb == "TRIGGERED" else ""))
    return {"text": text, "alert": alert.name, "state": evaluation.state,
            "transition": evaluation.transition, "severity": alert.severity,
            "owner": alert.owner, "value": evaluation.value, "detail": evaluation.detail,
            "description": alert.description, "evaluated_at": at, "run_id": run_id,
            "notification_id": notification_id}


def evaluate(db: Path, config: Config, manifest: dict[str, Any] | None = None,
             run_id: str | None = None, now: dt.datetime | None = None) -> list[Evaluation]:
    """Evaluate every alert once and record it: state, history, incidents and the outbox of
    notifications to send, in one transaction (`destinations.deliver` sends them)."""
    context = context_for(config, manifest, now)
    at = context["now"]
    con = connect(db)
    try:
        con.execute(DDL)
        states = dict(con.execute("select alert, state from ops.alert_state").fetchall())
        evaluations = [_evaluate_one(con, alert, context, states.get(alert.name, OK))
                       for alert in config.alerts]
        con.execute("begin")
        for e in evaluations:
            alert = e.alert
            con.execute("insert into ops.alert_history values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [at, alert.name, alert.severity, alert.owner, e.state, e.previous,
                         e.transition, e.value, e.detail, run_id, e.error])
            if e.error:
                continue
            if alert.name not in states:
                con.execute("insert into ops.alert_state values (?, ?, ?, ?, ?)",
                            [alert.name, e.state, at, e.value, at])
            else:
                con.execute("update ops.alert_state set state = ?, value = ?, evaluated_at = ?, "
                            "since = case when state = ? then since else ? end where alert = ?",
                            [e.state, e.value, at, e.state, at, alert.name])
            if e.transition is None:
                continue
            for destination in alert.destinations:
                notification_id = uuid.uuid4().hex
                con.execute("insert into ops.notifications values (?, ?, ?, ?, ?, 'pending', 0, "
                            "null, ?, null)",
                            [notification_id, alert.name, e.transition, destination,
                             json.dumps(payload(e, notification_id, at, run_id)), at])
            if e.transition == "triggered":
                con.execute("insert into ops.incidents (incident_id, alert, severity, owner, "
                            "opened_at, detail) select coalesce(max(incident_id), 0) + 1, ?, ?, "
                            "?, ?, ? from ops.incidents",
                            [alert.name, alert.severity, alert.owner, at, e.detail])
            else:
                con.execute("update ops.incidents set resolved_at = ?, resolved_by = "
                            "'alert cleared' where alert = ? and resolved_at is null",
                            [at, alert.name])
        con.execute("commit")
        return evaluations
    finally:
        con.close()
