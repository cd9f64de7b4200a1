"""The benchmark's settings: a memory limit reads as DuckDB reads it (decimal and binary units)."""

from __future__ import annotations

import pytest

from lakehouse.bench.report import memory_bytes


def test_memory_settings_parse_as_duckdb_reads_them() -> None:
    assert memory_bytes("8GB") == 8 * 10**9
    assert memory_bytes("8GiB") == 8 * 2**30
    assert memory_bytes("500 MB") == 500 * 10**6
    with pytest.raises(ValueError):
        memory_bytes("lots")
