"""The serving endpoint's inference log on disk (`lakehouse.ml.inference_log`): lines reach the
folder bronze reads only in closed files, each line once; a file left open by an endpoint that
died is closed by the next start or run, cut after its last complete line; and the features
the dbt models type and compare are the ones the model trains on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from lakehouse.config import PROJECT_DIR
from lakehouse.ml import training
from lakehouse.ml.inference_log import FOLDER, OPEN, PART, InferenceLog, close_orphans


def closed_lines(landing: Path) -> list[dict]:
    """The lines of the files bronze reads (`inference/*/*.jsonl`), in file order."""
    return [json.loads(line) for path in sorted((landing / FOLDER).glob("*/*.jsonl"))
            for line in path.read_text().splitlines()]


def test_lines_reach_bronze_only_in_closed_files_each_once(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path, rotate_lines=5, rotate_seconds=3600)
    log.write([{"request_id": "a", "record_index": n} for n in range(3)])
    assert closed_lines(tmp_path) == []  # open: not where bronze reads
    assert len(list((tmp_path / FOLDER / OPEN).glob(f"*{PART}"))) == 1
    log.write([{"request_id": "b", "record_index": n} for n in range(3)])  # 6 >= 5: closed
    log.write([{"request_id": "c", "record_index": 0}])
    log.close()
    lines = closed_lines(tmp_path)
    assert [(r["request_id"], r["record_index"]) for r in lines] == [
        ("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("b", 2), ("c", 0)]
    files = sorted((tmp_path / FOLDER).glob("*/*.jsonl"))
    assert len(files) == 2 and len({f.name for f in files}) == 2
    assert list((tmp_path / FOLDER / OPEN).iterdir()) == []
    log.close()  # twice: nothing more
    assert closed_lines(tmp_path) == lines


def test_an_open_file_is_closed_after_its_age(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path, rotate_seconds=0)
    log.write([{"request_id": "a", "record_index": 0}])
    log.tick()
    assert [r["request_id"] for r in closed_lines(tmp_path)] == ["a"]


def test_a_dead_endpoints_file_is_closed_after_its_last_complete_line(tmp_path: Path) -> None:
    # an endpoint killed while writing: two whole lines and half of a third
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
        open_dir = tmp_path / FOLDER / OPEN
        open_dir.mkdir(parents=True)
        cut = open_dir / f"endpoint-20261207T000000-{int(dead.stdout)}-000001{PART}"
        cut.write_text('{"request_id": "a"}\n{"request_id": "b"}\n{"request_id": "c", "rec')
        running = open_dir / f"endpoint-20261207T000000-{child.pid}-000001{PART}"
        running.write_text('{"request_id": "d"}\n')
        closed = close_orphans(tmp_path)
        assert [p.name for p in closed] == [cut.name.removesuffix(".part")]
        assert [r["request_id"] for r in closed_lines(tmp_path)] == ["a", "b"]
        assert running.exists()  # its endpoint still runs: still its file
        assert close_orphans(tmp_path) == []
    finally:
        child.kill()
        child.wait()
    assert len(close_orphans(tmp_path)) == 1
    assert sorted(r["request_id"] for r in closed_lines(tmp_path)) == ["a", "b", "d"]


def test_the_monitored_features_are_the_trained_ones() -> None:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    features = project["vars"]["ml_features"]
    assert tuple(features["categorical"]) == training.CATEGORICAL
    assert tuple(features["numeric"]) == training.NUMERIC
