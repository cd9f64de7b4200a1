"""The serving endpoint's inference table on disk: every request and its answer as JSON lines in
the landing zone, `inference/<yyyy-mm-dd>/endpoint-<opened>-<pid>-<n>.jsonl`, ingested by bronze
(`bronze.inference_log_raw`) like any feed, as a Databricks serving endpoint logs its traffic to
an inference table. One line per scored record (`record_index` 0, 1, ...), or one line for a
refused request (its status and reason, no record); `RECORD_FIELDS` is the shape, which batch
scoring's rows take too (`gold.ml_inference_log`).

Exactly once across a SIGKILL: a request's lines are written to the endpoint's open file (one
`write`, O_APPEND) before the request is answered, so what was answered is in the file (the
kernel keeps it when the process dies). The open file is `inference/_open/<name>.jsonl.part`,
which bronze does not read (its glob is `inference/*/*.jsonl`). It is closed (fsynced, then
renamed into `inference/<date>/`, atomically) when it holds `rotate_lines` lines, when it is
`rotate_seconds` old, and when the endpoint stops. A file left open by an endpoint that died is
closed by the next endpoint's start or the next `lakehouse run` (`close_orphans`): cut after
its last complete line (a line cut short belongs to a request that was never answered), then
renamed. A name is never reused, so bronze's ledger takes each file once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

FOLDER = "inference"
OPEN = "_open"
PART = ".jsonl.part"
# one line's fields, in order (the bronze contract, `landing.inference_log`)
RECORD_FIELDS = ("request_id", "record_index", "requested_at", "source", "route", "status",
                 "error", "model_name", "model_version", "variant", "order_id", "line_number",
                 "features", "prediction", "latency_ms")
ROTATE_LINES = 10_000
ROTATE_SECONDS = 60.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _close_file(part: Path, root: Path) -> Path | None:
    """`part` renamed into `root/<today>/<name>.jsonl` (None when it held no line)."""
    if part.stat().st_size == 0:
        part.unlink()
        return None
    day = root / dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    day.mkdir(parents=True, exist_ok=True)
    closed = day / part.name.removesuffix(".part")
    os.replace(part, closed)
    return closed


def close_orphans(landing: Path) -> list[Path]:
    """Close the open files of endpoints that are no longer running: each cut after its last
    complete line and moved where bronze reads it. Returns the files closed."""
    root = landing / FOLDER
    closed: list[Path] = []
    for part in sorted((root / OPEN).glob(f"*{PART}")):
        try:
            pid = int(part.name.removesuffix(PART).split("-")[-2])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        data = part.read_bytes()
        complete = data[:data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            with part.open("r+b") as file:
                file.truncate(len(complete))
        if (path := _close_file(part, root)) is not None:
            closed.append(path)
    return closed


class InferenceLog:
    """The endpoint's open inference file: `write` appends a request's lines (before it is
    answered), `tick` closes the file when it is old enough, `close` when the endpoint stops."""

    def __init__(self, landing: Path, rotate_lines: int = ROTATE_LINES,
                 rotate_seconds: float = ROTATE_SECONDS) -> None:
        self.root = landing / FOLDER
        self.rotate_lines, self.rotate_seconds = rotate_lines, rotate_seconds
        self.lock = threading.Lock()
        self.fd: int | None = None
        self.path: Path | None = None
        self.lines, self.opened, self.count = 0, 0.0, 0
        self.stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")

    def _open(self) -> None:
        self.count += 1
        (self.root / OPEN).mkdir(parents=True, exist_ok=True)
        self.path = self.root / OPEN / f"endpoint-{self.stamp}-{os.getpid()}-{self.count:06d}{PART}"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o644)
        self.lines, self.opened = 0, time.monotonic()

    def _close(self) -> None:
        if self.fd is None or self.path is None:
            return
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = None
        _close_file(self.path, self.root)

    def write(self, records: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n"
                       for record in records).encode()
        with self.lock:
            if self.fd is None:
                self._open()
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]  # type: ignore[arg-type]
            self.lines += len(records)
            if self.lines >= self.rotate_lines:
                self._close()

    def tick(self) -> None:
        with self.lock:
            if self.fd is not None and time.monotonic() - self.opened >= self.rotate_seconds:
                self._close()

    def close(self) -> None:
        with self.lock, contextlib.suppress(OSError):
            self._close()
