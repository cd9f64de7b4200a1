"""Running dbt in-process through dbtRunner, from the project directory."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from .config import PROJECT_DIR


@contextmanager
def _cwd(path: Path):
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def dbt(args: Sequence[str], project_dir: Path = PROJECT_DIR) -> dbtRunnerResult:
    """Run one dbt command against the project with the committed profiles.yml."""
    with _cwd(project_dir):
        return dbtRunner().invoke(
            [*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
        )


def dbt_ok(args: Sequence[str], project_dir: Path = PROJECT_DIR) -> None:
    result = dbt(args, project_dir)
    if not result.success:
        raise SystemExit(f"dbt {' '.join(args)} failed" + (f": {result.exception}"
                                                           if result.exception else ""))
