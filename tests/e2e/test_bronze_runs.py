"""Bronze across runs: a killed ingestion reruns to the uninterrupted result, a bounded run
and the loop that takes everything, schema evolution modes, the attached CRM database read
incrementally, and the ingest benchmark smoke."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from bronze import BRONZE, fingerprint
from warehouse import Warehouse

import lakehouse.sources.generator.rates as r
from lakehouse.bench.ingest import bench_ingest, report
from lakehouse.build.landing import feeds, pending_files


@pytest.fixture
def wh(tmp_path: Path, generated: Path) -> Warehouse:
    return Warehouse(tmp_path, generated)


def test_killed_ingestion_reruns_to_the_uninterrupted_result(wh: Warehouse, generated: Path,
                                                             published_all_days: Path) -> None:
    # the uninterrupted result: bronze of the session's warehouse that ingested every day in
    # one run (read only)
    reference = Warehouse(published_all_days, generated)
    expected = fingerprint(reference, technical=False)
    files = len([p for p in reference.landing.rglob("*") if p.is_file()])
    wh.deliver()
    # kill -9 the moment dbt starts a feed model (earlier feeds are committed, this one is not),
    # or a moment into it (most likely inside its transaction); each run first finishes what
    # the kill before it left. The victims in the order dbt runs the feeds (one thread), so
    # that each is killed with its files still to load
    loaded = 0
    for victim, delay in (("cdc_orders", 0.0), ("full_lineitem", 0.0), ("full_lineitem", 0.15),
                          ("web_events_raw", 0.0)):
        process = wh.runner.popen("run", *BRONZE, "--threads", "1", stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        for line in process.stdout:
            if f"START sql bronze_feed model bronze.{victim} " in line:
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                break
        process.wait()
        assert process.returncode == -signal.SIGKILL, f"dbt finished before {victim} started"
        ledger = wh.one("select count(*) from bronze.ingest_ledger")
        assert loaded <= ledger < files, f"killed at {victim}: {ledger} of {files} files"
        loaded = ledger
    assert loaded > 0
    wh.dbt("run", *BRONZE)
    assert fingerprint(wh, technical=False) == expected


@pytest.fixture(scope="module")
def before_new_field(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Path:
    """Bronze of the days before the web events carry their new field, run once: a mode
    decides nothing until a new field arrives (every mode's test goes on from a copy)."""
    wh = Warehouse(tmp_path_factory.mktemp("before-new-field"), generated)
    wh.deliver(r.WEB_NEW_FIELD_DAY - 1)
    wh.dbt("run", *BRONZE)
    assert "device" not in {c[0] for c in wh.sql("describe bronze.web_events_raw")}
    return wh.root


@pytest.mark.parametrize("mode", ["addNewColumns", "rescue", "failOnNewColumns", "none"])
def test_schema_evolution_modes(before_new_field: Path, tmp_path: Path, generated: Path,
                                mode: str) -> None:
    shutil.copytree(before_new_field, tmp_path / "warehouse")
    wh = Warehouse(tmp_path / "warehouse", generated)
    variables = json.dumps({"schema_evolution_mode": {"web_events": mode}})
    wh.deliver(r.WEB_NEW_FIELD_DAY)
    (wh.landing / "events" / "1998-08-05" / "0900.jsonl").write_text(
        '{"event_id": "e-wrong", "event_type": "page_view", "session_id": "s", '
        '"customer_key": "abc", "part_key": "P-1", "ts": "1998-08-05T00:00:00Z"}\n')
    result = wh.dbt("run", *BRONZE, "--vars", variables, check=False)
    new_day = "events/1998-08-05/0001.jsonl"
    if mode == "failOnNewColumns":
        assert result.returncode != 0
        assert f"file '{new_day}' has new field 'device'" in result.output
        assert wh.one(f"select count(*) from bronze.ingest_ledger where path = '{new_day}'") == 0
        return
    assert result.returncode == 0, result.output[-3000:]
    columns = {c[0] for c in wh.sql("describe bronze.web_events_raw")}
    rescued_device = wh.one("select count(*) from bronze.web_events_raw "
                            "where _rescued_data ->> 'device' is not null")
    # the new field's values (late events from the day before do not have it), kept raw in
    # every mode
    with_device = wh.one("select count(*) from bronze.web_events_raw "
                         "where (_raw ->> 'device') is not null")
    assert with_device > 0
    if mode == "addNewColumns":
        assert "device" in columns
        assert wh.one("select count(device) from bronze.web_events_raw") == with_device
    else:
        assert "device" not in columns
        assert rescued_device == (with_device if mode == "rescue" else 0)
    # a value of the wrong type never fails a run: it loads as null and is rescued
    assert wh.sql("select customer_key, part_key, _rescued_data::varchar from bronze.web_events_raw "
                  "where event_id = 'e-wrong'") == [
        (None, None, '{"customer_key":"abc","part_key":"P-1"}')]


def test_max_files_per_run_bounds_a_run_and_the_loop_takes_everything(wh: Warehouse,
                                                                      tmp_path: Path) -> None:
    wh.deliver(2)
    wh.dbt("run", *BRONZE, "--vars", '{"max_files_per_run": 1}')
    per_feed = dict(wh.sql("select feed, count(*) from bronze.ingest_ledger group by feed"))
    assert set(per_feed.values()) == {1}
    reference = Warehouse(tmp_path / "reference", wh.generated)
    reference.deliver(2)
    reference.dbt("run", *BRONZE)
    runs = 1
    while any(pending_files(wh.landing, wh.db).values()):  # what `lakehouse run` loops on
        wh.dbt("run", *BRONZE, "--vars", '{"max_files_per_run": 1}')
        runs += 1
    assert runs == max(sum(len(list(wh.landing.glob(p))) for p in patterns)
                      for patterns in feeds().values())
    assert fingerprint(wh, technical=False) == fingerprint(reference, technical=False)


def test_attached_database_is_read_incrementally_and_read_only(wh: Warehouse) -> None:
    crm = wh.root / "crm.sqlite"
    shutil.copyfile(wh.external_db, crm)
    wh.external_db = crm
    digest = hashlib.sha256(crm.read_bytes()).hexdigest()
    wh.dbt("run", "--select", "ext_loyalty_members")
    with sqlite3.connect(crm) as con:
        members = con.execute("select count(*) from loyalty_members").fetchone()[0]
    assert wh.one("select count(*) from bronze.ext_loyalty_members") == members > 0
    assert hashlib.sha256(crm.read_bytes()).hexdigest() == digest  # attached read-only
    with sqlite3.connect(crm) as con:  # the operational system moves on
        con.execute("update loyalty_members set points = points + 1, "
                    "updated_at = '1998-08-03 10:00:00' where customer_key in "
                    "(select customer_key from loyalty_members order by customer_key limit 2)")
        con.execute("insert into loyalty_members values "
                    "(999999, 'gold', 5, '1998-08-03', '1998-08-03 11:00:00')")
    wh.dbt("run", "--select", "ext_loyalty_members")
    assert wh.one("select count(*) from bronze.ext_loyalty_members") == members + 3
    wh.dbt("run", "--select", "ext_loyalty_members")
    assert wh.one("select count(*) from bronze.ext_loyalty_members") == members + 3
    # without the database the table still exists, empty on a first run
    other = Warehouse(wh.root / "no-crm")
    other.dbt("run", "--select", "ext_loyalty_members")
    assert other.one("select count(*) from bronze.ext_loyalty_members") == 0


def test_ingest_benchmark_smoke() -> None:
    rows = bench_ingest([2, 6], lines=20, repeats=1, log=lambda _: None)
    assert [r["n_ingested"] for r in rows] == [2, 6]
    assert rows[0]["ratio_to_smallest_n"] == 1.0
    assert all(r["model_seconds"] > 0 and r["rows_per_second"] > 0 for r in rows)
    assert "| 6 |" in report(rows)

