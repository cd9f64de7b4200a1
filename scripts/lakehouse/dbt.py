"""Running dbt from the CLI: a child process per command, from the project directory.

A child process (rather than dbtRunner in-process) releases the DuckDB file when dbt ends, so
the CLI can read the warehouse between builds, and a crash of dbt cannot take the CLI down.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"


def dbt_command(args: Sequence[str], project_dir: Path = PROJECT_DIR) -> list[str]:
    """The command line of one dbt command against the project with the committed profiles.yml."""
    return [str(DBT), *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]


def dbt(args: Sequence[str], project_dir: Path = PROJECT_DIR) -> int:
    """Run one dbt command against the project with the committed profiles.yml."""
    return subprocess.call(dbt_command(args, project_dir), cwd=project_dir)


def dbt_ok(args: Sequence[str], project_dir: Path = PROJECT_DIR) -> None:
    if dbt(args, project_dir) != 0:
        raise SystemExit(f"lakehouse: dbt {' '.join(args)} failed")


def dbt_env(work: Path, landing: Path, db: Path, external_db: Path | None = None,
            **extra: str) -> dict[str, str]:
    """The environment for a dbt child process on a scratch warehouse: its landing zone and
    DuckDB file, target and log directories under `work` (so that runs do not share artifacts),
    and the attached external database (a missing file gives an empty bronze table)."""
    return {**os.environ, "LAKEHOUSE_LANDING": str(landing), "LAKEHOUSE_DB": str(db),
            "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs"),
            "LAKEHOUSE_EXTERNAL_DB": str(external_db or work / "no-external-database.sqlite"),
            **extra}
