"""The pipeline benchmark in smoke mode: the report is produced, and ours and the plain-DuckDB
baseline build the same gold (the check that makes the baseline a fair lower bound)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from warehouse import LAKEHOUSE

from lakehouse.bench.pipeline import compare_gold
from lakehouse.config import PROJECT_DIR


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("bench")
    result = subprocess.run([str(LAKEHOUSE), "bench", "--smoke", "--data", str(data)],
                            cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return data / "sf0.01-d1-s42"


def test_smoke_bench_writes_the_report(smoke: Path) -> None:
    report = smoke / "report"
    result = json.loads((report / "bench.json").read_text())
    assert result["params"] | {"sf": 0.01, "days": 1} == result["params"]
    assert [r["kind"] for r in result["runs"]] == ["full build", "increment"]
    for run in result["runs"]:
        for side in ("ours", "baseline"):
            assert run[side]["peak_rss_bytes"] > 50 * 2**20
            for layer in ("bronze", "silver", "gold"):
                figures = run[side]["layers"][layer]
                assert figures["seconds"] > 0
                assert figures["rows_out"] > 0
        ours = run["ours"]
        assert ours["net_seconds"] > 0 and ours["dbt_overhead_seconds"] > 0
        assert ours["net_seconds"] + ours["dbt_overhead_seconds"] <= ours["wall_seconds"] + 1
        assert run["ratio"]["total_net"] > 0
    full, day = result["runs"]
    generated = json.loads((smoke / "generated" / "manifest.json").read_text())
    assert full["landing_lines"] == sum(f["lines"] for f in generated["files"]
                                        if f["arrival_day"] == 0)
    assert full["ours"]["layers"]["bronze"]["rows_in"] == full["landing_lines"]
    assert day["ours"]["layers"]["gold"]["rows_in"] > 0
    assert result["generation"]["seconds"] > 0
    assert set(result["targets"]) >= {"full_build_ours_over_baseline",
                                      "increment_share_of_full_build",
                                      "peak_within_limit_plus_2gib"}
    # the slowest models beside the baseline's statements that write the same table
    assert full["baseline"]["tables"]["silver.order_lines_history"] > 0
    assert set(full["baseline"]["tables"]) >= {"bronze.full_lineitem", "gold.fct_order_line"}
    # temporary tables are counted in the table they feed
    assert all("." in table for table in full["baseline"]["tables"])
    markdown = (report / "report.md").read_text()
    assert "**identical**" in markdown and "| 1 | silver |" in markdown
    slowest = [line for line in markdown.split("## Slowest models")[1].splitlines()
               if line.startswith("| 0 |")]
    assert len(slowest) == 8 and any(line.endswith("x |") for line in slowest)
    for chart in ("runs.png", "layers.png"):
        image = (report / chart).read_bytes()
        assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 10_000


def test_smoke_bench_ours_and_baseline_build_the_same_gold(smoke: Path) -> None:
    result = json.loads((smoke / "report" / "bench.json").read_text())
    assert result["gold_identical"]
    final = result["gold_checks"]["run 1"]
    assert len(final) == 24  # every gold table, the clickstream windows, funnels and rules
    assert final["fct_order_line"]["rows"] > 50_000
    assert all(t["only_ours"] == 0 and t["only_baseline"] == 0 for t in final.values())


def test_baseline_rerun_changes_nothing(smoke: Path, tmp_path: Path) -> None:
    work = smoke / "work"
    baseline = tmp_path / "baseline.duckdb"
    shutil.copy(work / "baseline.duckdb", baseline)
    result = subprocess.run([str(LAKEHOUSE), "baseline", "--db", str(baseline), "--landing",
                             str(work / "landing")], cwd=PROJECT_DIR, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    check = compare_gold(work / "ours.duckdb", baseline)
    assert all(t["only_ours"] == 0 and t["only_baseline"] == 0 for t in check.values())


def test_baseline_full_build_in_key_ranges_builds_the_same_gold(smoke: Path,
                                                                 tmp_path: Path) -> None:
    # how the baseline's full build survives SF 10: the largest histories in key ranges
    work = smoke / "work"
    result = subprocess.run([str(LAKEHOUSE), "baseline", "--db", str(tmp_path / "ranges.duckdb"),
                             "--landing", str(work / "landing"), "--key-ranges", "3"],
                            cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    check = compare_gold(work / "ours.duckdb", tmp_path / "ranges.duckdb")
    assert check["fct_order_line"]["rows"] > 50_000
    assert all(t["only_ours"] == 0 and t["only_baseline"] == 0 for t in check.values())


def test_gold_comparison_finds_a_changed_row(smoke: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.duckdb"
    shutil.copy(smoke / "work" / "baseline.duckdb", baseline)
    con = duckdb.connect(str(baseline))
    con.execute("update gold.fct_order_line set quantity = quantity + 1 "
                "where (order_id, line_number) = (select (min(order_id), 1) "
                "from gold.fct_order_line)")
    con.execute("delete from gold.dim_part where part_id = (select max(part_id) from gold.dim_part)")
    con.close()
    check = compare_gold(smoke / "work" / "ours.duckdb", baseline)
    assert check["fct_order_line"]["only_ours"] == 1
    assert check["fct_order_line"]["only_baseline"] == 1
    assert check["dim_part"]["only_ours"] >= 1 and check["dim_part"]["only_baseline"] == 0
    assert check["dim_customer"]["only_ours"] == 0
