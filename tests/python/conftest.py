"""Shared fixtures: generated data sets, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from lakehouse.generator import generate


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SF 0.01 with the default 7 days of changes and every defect on."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, sf=0.01, days=7, seed=7, log=lambda _: None)
    return out
