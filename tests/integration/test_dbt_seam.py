"""The one seam to dbt (`lakehouse.dbt.Dbt`): results are this invocation's, failures are typed."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from lakehouse.dbt import Dbt, DbtError


def test_results_are_this_invocations_and_failures_raise(tmp_path: Path) -> None:
    dbt = Dbt.scratch(tmp_path, tmp_path / "landing", tmp_path / "warehouse.duckdb")
    parsed = dbt.run("parse", capture=True)
    assert parsed.ok and parsed.run_results is None  # dbt parse writes no run_results.json
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    built = dbt.run("run", "--select", "ingest_ledger", capture=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert [n["unique_id"] for n in built.nodes] == ["model.lakehouse.ingest_ledger"]
    assert built.invocation_id and built.peak_rss_bytes > 0 and built.seconds > 0
    # the CPU the run history records for dbt is what the kernel counted for its process
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    assert cpu > 1 and abs(built.cpu_seconds - cpu) <= 0.1 * cpu
    with pytest.raises(DbtError) as raised:
        dbt.run("run", "--select", "customers_history", capture=True)  # its inputs are missing
    failed = raised.value.result
    assert not failed.ok and failed.invocation_id != built.invocation_id
    assert failed.failures() and failed.failures()[0].startswith(
        "model.lakehouse.customers_history: ")
    assert "1 node(s) failed" in str(raised.value)
    unchecked = dbt.run("show", "--inline", "select * from no_such_table", check=False,
                        capture=True)
    assert not unchecked.ok and "no_such_table" in (unchecked.output or "")
    # an invocation that writes no results is not given the previous one's
    assert unchecked.invocation_id != failed.invocation_id
