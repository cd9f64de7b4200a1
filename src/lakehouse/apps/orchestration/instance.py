"""The Dagster instance the workflows run on, and `lakehouse orchestrate`.

The instance lives in `DAGSTER_HOME` (default `data/dagster/`): its run, event and schedule
storage (SQLite) and the `dagster.yaml` written here, whose run queue lets one run carrying
the warehouse tag run at a time; later runs wait in the queue. `lakehouse orchestrate` serves
the UI and runs the daemon (sensors, schedules, the run queue) with `dagster dev`, on
127.0.0.1, in its own process group, stopped as a whole with the command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lakehouse.apps.orchestration.definitions import WAREHOUSE_TAG
from lakehouse.config import PROJECT_DIR, Settings

DAGSTER = Path(sys.executable).parent / "dagster"
DEFAULT_HOME = PROJECT_DIR / "data" / "dagster"

[(TAG, VALUE)] = WAREHOUSE_TAG.items()
INSTANCE_YAML = f"""\
# written by `lakehouse orchestrate` (src/lakehouse/apps/orchestration/instance.py)
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    # one run writes the warehouse at a time; the others wait in the queue
    - key: {TAG}
      value: {VALUE}
      limit: 1
run_retries:
  enabled: false  # steps retry themselves on transient errors; a failed run stays failed
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    """The instance directory: DAGSTER_HOME, else data/dagster/; created with its dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME)
    home = home if home.is_absolute() else PROJECT_DIR / home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != INSTANCE_YAML:
        config.write_text(INSTANCE_YAML)
    return home


def environment(settings: Settings) -> dict[str, str]:
    """What the UI, the daemon and every run see: the project's settings as absolute paths
    (as `lakehouse run` exports them) and the instance."""
    settings.export()
    return {**os.environ, "DAGSTER_HOME": str(dagster_home())}


def command(port: int) -> list[str]:
    return [str(DAGSTER), "dev", "-m", "lakehouse.apps.orchestration.location",
            "--host", "127.0.0.1", "--port", str(port), "--working-directory", str(PROJECT_DIR)]
