"""Headless Chromium for the tests that load a page as a user would (the dbt docs site, the
dashboard, the Dagster UI), and a free port on 127.0.0.1 for the server it loads."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# headless flags for this closed network (no background connections), root, no GPU
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    """Until `url` answers (a server the test started)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} never answered") from None
            time.sleep(0.5)


def rendered_dom(url: str, texts: Sequence[str], profile: Path, attempts: int = 8) -> str:
    """The DOM of `url` in headless Chromium once every one of `texts` is in it (a Streamlit
    app renders over a websocket after the page loads, so a dump may hold only its skeleton
    and is taken again), or the last dump after `attempts`."""
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
             "--window-size=1400,2400"]
    dom = ""
    for _ in range(attempts):
        dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True,
                             text=True, timeout=120).stdout
        if all(text in dom for text in texts):
            break
    return dom
