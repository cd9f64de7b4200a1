"""Servers the command line starts (the dashboard, the docs site): each in its own process
group, stopped with the command that started it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def serve(command: list[str]) -> int:
    """Run a server in its own process group and stop the whole group when this command stops
    (Ctrl-C, SIGTERM, SIGHUP, or an error): no server outlives the command that started it.
    The handlers are in place before the server starts, so a signal that arrives while it is
    starting stops it too."""
    server: subprocess.Popen[bytes] | None = None
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    server = subprocess.Popen(command, start_new_session=True)
    try:
        if stopping:  # a signal came while the server was starting
            stop()
        return server.wait()
    finally:
        stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(10)
        # the server's own children (a UI's workers, a daemon, a run) may still be stopping
        # when it has exited: return only when the whole group is gone
        if not _group_gone(server.pid, seconds=20):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            _group_gone(server.pid, seconds=5)


def _group_gone(group: int, seconds: float) -> bool:
    """Wait up to `seconds` for process group `group` to have no process left."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
