"""The app subcommands: `dashboard` (Streamlit) and `orchestrate` (Dagster's UI and daemon)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lakehouse import log
from lakehouse.apps.servers import serve
from lakehouse.config import DB, LANDING, Settings


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Start the executive dashboard (Streamlit) on the published serving copy."""
    Settings.from_env().export()
    app = Path(__file__).with_name("dashboard.py")
    log(f"dashboard on http://127.0.0.1:{args.port} (Ctrl-C to stop)")
    return serve([str(Path(sys.executable).parent / "streamlit"), "run", str(app),
                  "--server.port", str(args.port), "--server.address", "127.0.0.1",
                  "--server.headless", "true", "--browser.gatherUsageStats", "false"])


def cmd_orchestrate(args: argparse.Namespace) -> int:
    """Serve the workflows (Dagster's UI and daemon) on 127.0.0.1 until interrupted."""
    from lakehouse.apps.orchestration.instance import command, environment

    os.environ.update(environment(Settings.from_env((LANDING, DB))))
    log(f"workflows on http://127.0.0.1:{args.port} (instance {os.environ['DAGSTER_HOME']}; "
        "Ctrl-C to stop): the job `lakehouse_run` starts when files land, daily at 06:00 UTC, "
        "or from the UI")
    return serve(command(args.port))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help="the executive dashboard (Streamlit, read-only)",
                       description="Serve the executive dashboard on 127.0.0.1: it reads only "
                       "the published serving copy ($LAKEHOUSE_SERVING), read-only.")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("orchestrate", help="workflows: Dagster's UI and daemon (file-arrival "
                       "sensor, daily schedule, runs on demand, retries)",
                       description="Serve the Dagster UI and run its daemon on 127.0.0.1: the "
                       "job `lakehouse_run` (every dbt model an asset, every test a check, "
                       "then the publication) starts when files land in the landing zone, "
                       "every day at 06:00 UTC, or from the UI; one run at a time. The "
                       "instance is $DAGSTER_HOME (default data/dagster).")
    p.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    p.set_defaults(func=cmd_orchestrate)
