"""The `databricks` target (dbt-databricks: Delta tables, Unity Catalog) is declared and parses.

No Databricks workspace is reachable here, so what runs is `dbt parse`: from the target's own
environment (`lakehouse databricks`, made from requirements-databricks.txt on first use), with
no DATABRICKS_* variable set. The manifest it writes shows what dbt-databricks would build: the
same nodes as DuckDB's but the DuckDB-only scoring model, every table Delta, gold granted to
`bi_readers`, snapshots on, and the incremental strategies on their Delta implementations."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lakehouse.build.databricks import VENV, databricks_dbt
from lakehouse.cli import main
from lakehouse.dbt import Dbt

# the Python models over DuckDB relations (scoring and the registry, with MLflow in dbt's
# process) and the inference table and monitoring built on them: DuckDB only
DUCKDB_ONLY = {f"model.lakehouse.{name}" for name in (
    "pred_late_delivery", "pred_late_delivery_challenger", "ml_model_versions",
    "inference_requests", "ml_inference_log", "ml_prediction_outcomes", "ml_model_performance",
    "ml_model_calibration", "ml_model_slices", "ml_feature_drift")}
# the strategies that delete on DuckDB and overwrite on Spark: one Delta statement on Databricks
STRATEGIES = ("replace_versions", "replace_touched_keys", "replace_keys")


def parse(dbt: Dbt, work: Path) -> dict[str, Any]:
    dbt.env = {**dbt.environment, "DBT_TARGET_PATH": str(work / "target"),
               "DBT_LOG_PATH": str(work / "logs")}
    result = dbt.run("parse", "--no-partial-parse", "--show-all-deprecations", capture=True)
    return {**json.loads((work / "target" / "manifest.json").read_text()),
            "output": result.output}


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("databricks")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    return {"databricks": parse(databricks_dbt(env), work / "databricks"),
            "duckdb": parse(Dbt(env={**env, "LAKEHOUSE_DB": str(work / "parse.duckdb")}),
                            work / "duckdb")}


def enabled(manifest: dict[str, Any]) -> set[str]:
    return {uid for uid, node in manifest["nodes"].items() if node["resource_type"] != "test"}


def test_databricks_target_parses_with_the_same_nodes(manifests: dict[str, dict[str, Any]]) -> None:
    databricks, duckdb = manifests["databricks"], manifests["duckdb"]
    assert databricks["metadata"]["adapter_type"] == "databricks"
    # dbt validates the YAML against its JSON schema on dbt-databricks (not on dbt-duckdb):
    # no custom config key outside `meta`, no `meta` outside `config`
    assert "WARNING" not in databricks["output"], databricks["output"]
    assert (VENV / "bin" / "dbt").exists()
    assert enabled(databricks) == enabled(duckdb) - DUCKDB_ONLY
    assert enabled(duckdb) >= DUCKDB_ONLY
    snapshots = {uid for uid, n in databricks["nodes"].items() if n["resource_type"] == "snapshot"}
    assert len(snapshots) == 3, snapshots  # dbt-databricks snapshots merge into Delta
    # dbt's data tests too, but those of the scoring model
    tests = {uid for uid, n in databricks["nodes"].items() if n["resource_type"] == "test"}
    assert len(tests) > 200


def test_databricks_target_builds_delta_tables_grants_gold_and_merges(
        manifests: dict[str, dict[str, Any]]) -> None:
    models = [n for n in manifests["databricks"]["nodes"].values() if n["resource_type"] == "model"]
    assert {n["config"]["file_format"] for n in models} == {"delta"}
    for node in models:
        grants = node["config"]["grants"]
        assert grants == ({"select": ["bi_readers"]} if node["schema"] == "gold" else {}), \
            node["unique_id"]
    strategies = {n["config"].get("incremental_strategy") for n in models
                  if n["config"]["materialized"] == "incremental"}
    assert set(STRATEGIES) <= strategies
    macros = manifests["databricks"]["macros"]
    for strategy in STRATEGIES:
        assert f"macro.lakehouse.databricks__get_incremental_{strategy}_sql" in macros
    assert "macro.lakehouse.databricks__bronze_rewrite_without" in macros
    # the DuckDB build keeps its own: no Delta config reaches it
    duckdb_models = [n for n in manifests["duckdb"]["nodes"].values()
                     if n["resource_type"] == "model"]
    assert {n["config"].get("file_format") for n in duckdb_models} == {"parquet"}


def test_lakehouse_databricks_says_what_is_missing_to_connect(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    """Without a workspace, a command that connects fails with dbt-databricks' own message."""
    for name in ("DATABRICKS_HOST", "DATABRICKS_HTTP_PATH", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    assert main(["databricks", "debug"]) != 0
    assert "The config 'host' is required to connect to Databricks" in capfd.readouterr().out
