"""Lineage: the dbt docs site loads in headless Chromium, and the lineage of gold runs from
the landing sources to the exposures."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_FLAGS, free_port
from warehouse import Served

# a full build, docs generate and Chromium

@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory, generated: Path, published_day1: Path) -> Path:
    wh = Served.copy(published_day1, tmp_path_factory.mktemp("docs"), generated)
    wh.dbt("docs", "generate")
    return wh.root / "target"


def upstream(manifest: dict, node: str) -> set[str]:
    nodes = {**manifest["nodes"], **manifest["sources"], **manifest["exposures"]}
    seen, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack += nodes[current].get("depends_on", {}).get("nodes", [])
    return seen


def test_lineage_runs_from_landing_sources_to_exposures(docs: Path) -> None:
    manifest = json.loads((docs / "manifest.json").read_text())
    lineage = upstream(manifest, "exposure.lakehouse.executive_dashboard")
    for node in ("model.lakehouse.fct_orders", "model.lakehouse.fct_order_line",
                 "model.lakehouse.order_lines", "model.lakehouse.order_lines_history",
                 "model.lakehouse.cdc_lineitem", "model.lakehouse.full_lineitem",
                 "source.lakehouse.landing.cdc_lineitem", "source.lakehouse.landing.full_lineitem",
                 "source.lakehouse.landing.web_events"):
        assert node in lineage, node
    for q in (1, 3, 4, 5, 6, 10, 12, 14, 18):
        assert f"model.lakehouse.rpt_tpch_q{q:02d}" in upstream(
            manifest, "exposure.lakehouse.tpch_reports")
    # the model and the notebook are documented consumers too, down to the landing files
    ml = upstream(manifest, "exposure.lakehouse.late_delivery_model")
    assert {"model.lakehouse.ml_late_delivery_features", "model.lakehouse.fct_order_line",
            "source.lakehouse.landing.cdc_lineitem"} <= ml
    assert manifest["exposures"]["exposure.lakehouse.late_delivery_model"]["type"] == "ml"
    assert "model.lakehouse.pred_late_delivery" in upstream(
        manifest, "exposure.lakehouse.lakehouse_tour_notebook")
    catalog = json.loads((docs / "catalog.json").read_text())
    assert "model.lakehouse.fct_order_line" in catalog["nodes"]


def test_docs_site_loads_in_headless_chromium(docs: Path, tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "Debian's chromium package is required (bootstrap installs it)"
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(docs)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        url = f"http://127.0.0.1:{port}/index.html#!/model/model.lakehouse.fct_orders"
        flags = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                 "--virtual-time-budget=20000"]
        dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True,
                             text=True, timeout=120).stdout
        shot = tmp_path / "docs.png"
        subprocess.run([CHROMIUM, *flags, "--window-size=1400,1000", f"--screenshot={shot}",
                        url], capture_output=True, timeout=120)
    finally:
        server.terminate()
    # the app loaded the project (manifest and catalog) and renders the gold model's page
    assert "fct_orders" in dom
    assert "One row per live order" in dom  # the model's description
    assert "dim_customer" in dom  # its upstream nodes are listed
    assert shot.exists() and shot.stat().st_size > 10_000
