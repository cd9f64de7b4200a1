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


@pytest.mark.parametrize(("target", "db", "command"), [
    ("lake", "warehouse.duckdb", ["run", "--no-docs"]),
    ("dev", "warehouse.ducklake", ["run", "--no-docs"]),
    ("spark_cluster", "warehouse.ducklake", ["run", "--no-docs"]),
    ("dev", "warehouse.spark/", ["run", "--no-docs"]),
    ("warehouse", "warehouse.duckdb", ["history"]),
    ("dev", "warehouse.duckdb", ["history", "--table", "gold.fct_orders"]),
])
def test_target_and_warehouse_must_agree(tmp_path: Path, target: str, db: str,
                                         command: list[str]) -> None:
    # a DuckLake catalog for the lake target only, a directory for the Spark targets only, the
    # lake's commands on the lake only: one line on stderr saying which, and nothing created
    (tmp_path / "landing").mkdir()
    env = {**os.environ, "LAKEHOUSE_TARGET": target, "LAKEHOUSE_DB": str(tmp_path / db),
           "LAKEHOUSE_LANDING": str(tmp_path / "landing")}
    if command[0] == "history":  # a warehouse to read, so that the error is about the target
        (tmp_path / db).touch()
    if db.endswith("/"):  # a Spark warehouse (a directory) for a target that needs a file
        (tmp_path / db).mkdir()
    result = subprocess.run([str(LAKEHOUSE), *command], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ("LAKEHOUSE_TARGET" in lines[0] or "lake" in lines[0]), lines
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {"landing", db.rstrip("/")} if command[0] == "history" or db.endswith("/")
        else {"landing"})
    if db.endswith("/"):
        assert list((tmp_path / db).iterdir()) == []


def test_the_mlflow_store_is_beside_the_warehouse_unless_set(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from lakehouse.config import Settings

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("LAKEHOUSE_DB", str(tmp_path / "warehouse.duckdb"))
    assert Settings.from_env().tracking_uri == \
        f"sqlite:///{tmp_path.resolve() / 'mlflow' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert Settings.from_env().tracking_uri == "http://127.0.0.1:5000"


def test_train_before_anything_is_published_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LAKEHOUSE_DB": str(tmp_path / "warehouse.duckdb"),
           "LAKEHOUSE_SERVING": str(tmp_path)}
    env.pop("MLFLOW_TRACKING_URI", None)
    result = subprocess.run([str(LAKEHOUSE), "train"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lakehouse: no serving copy at {tmp_path / 'lakehouse.duckdb'}: run `lakehouse run` "
        "first (training reads published gold)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []
