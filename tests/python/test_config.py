"""Configuration errors are errors: a path variable that names nothing gives one line on
stderr naming the variable and the path, a non-zero exit, and nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"


@pytest.mark.parametrize(("variable", "command"), [
    ("LAKEHOUSE_LANDING", ["run", "--no-docs"]),
    ("LAKEHOUSE_DB", ["run", "--no-docs"]),
    ("LAKEHOUSE_GENERATED", ["deliver", "--all"]),
    ("LAKEHOUSE_LANDING", ["deliver", "--all"]),
    ("LAKEHOUSE_GENERATED", ["generate", "--sf", "0.01", "--days", "0"]),
    ("LAKEHOUSE_DB", ["history"]),
    ("LAKEHOUSE_LANDING", ["capture"]),
])
def test_missing_path_is_one_line_error(tmp_path: Path, variable: str, command: list[str]) -> None:
    missing = tmp_path / "missing" / ("warehouse.duckdb" if variable == "LAKEHOUSE_DB" else "dir")
    env = {**os.environ, "LAKEHOUSE_DB": str(tmp_path / "warehouse.duckdb"),
           "LAKEHOUSE_LANDING": str(tmp_path), "LAKEHOUSE_GENERATED": str(tmp_path),
           variable: str(missing)}
    result = subprocess.run([str(LAKEHOUSE), *command], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and str(missing.parent if variable ==
                                                            "LAKEHOUSE_DB" else missing) in lines[0]
    assert not (tmp_path / "missing").exists()
    assert not (tmp_path / "warehouse.duckdb").exists()
