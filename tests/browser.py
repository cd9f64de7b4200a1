"""Headless Chromium for the tests that load a page as a user would (the dbt docs site, the
dashboard, the Dagster UI), and a free port on 127.0.0.1 for the server it loads."""

from __future__ import annotations

import socket

CHROMIUM = "/usr/bin/chromium"
# headless flags for this closed network (no background connections), root, no GPU
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
