"""The `databricks` target (dbt-databricks: Delta tables in a Unity Catalog catalog) and its own
virtual environment.

dbt-databricks pins dbt-spark < 1.11, dbt-common < 1.39, pydantic < 2.13 and packaging < 26,
which conflict with the main environment (.venv: dbt-spark 1.11.0 for the `spark` target, the
tools around dbt), so the target runs from `.venv-databricks`, installed from
requirements-databricks.txt with the same dbt-core. `lakehouse databricks <dbt args>` makes or
updates it (once per change of the requirements, like scripts/bootstrap.sh does .venv) and runs
dbt from it on the target. No workspace is reachable here: `dbt parse` is what runs here.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from lakehouse import log
from lakehouse.config import PROJECT_DIR
from lakehouse.dbt import Dbt

VENV = PROJECT_DIR / ".venv-databricks"
REQUIREMENTS = PROJECT_DIR / "requirements-databricks.txt"
TARGET = "databricks"


def ensure_venv(venv: Path = VENV, requirements: Path = REQUIREMENTS) -> Path:
    """The dbt executable of the databricks environment, made (with this Python) and installed
    from its pinned requirements when they changed since the last install."""
    stamp = venv / f".installed-{hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]}"
    if not stamp.exists():
        if not (venv / "bin" / "python").exists():
            log(f"databricks: creating {venv.name}")
            # the base interpreter, not this venv's: a venv made from a venv's python links to it
            subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
        log(f"databricks: installing {requirements.name} into {venv.name}")
        python = str(venv / "bin" / "python")
        # with uv when this environment has it (scripts/bootstrap.sh installs it): the same
        # pins in a quarter of pip's time (6 s against 24 here), bytecode compiled as pip does
        uv = Path(sys.executable).parent / "uv"
        subprocess.run([str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python",
                        python, "-r", str(requirements)] if uv.exists() else
                       [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(requirements)], check=True)
        for old in venv.glob(".installed-*"):
            old.unlink()
        stamp.touch()
    return venv / "bin" / "dbt"


def databricks_dbt(env: dict[str, str] | None = None) -> Dbt:
    """dbt from the databricks environment, on the `databricks` target (LAKEHOUSE_TARGET)."""
    return Dbt(env={**(os.environ if env is None else env), "LAKEHOUSE_TARGET": TARGET},
               executable=ensure_venv())
