"""Bronze: Auto Loader-style ingestion, exactly once, nothing lost (each test a scenario on a
temporary landing zone, dbt run as a user runs it)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from warehouse import Warehouse

import lakehouse.sources.generator.rates as r
from lakehouse.bench.ingest import bench_ingest, report
from lakehouse.build.landing import feeds, pending_files

BRONZE = ("--select", "path:models/bronze")
FEEDS = ("full_customer", "full_orders", "full_lineitem", "full_part", "full_supplier",
         "full_partsupp", "cdc_customer", "cdc_orders", "cdc_lineitem", "web_events_raw")
TECHNICAL = ("_ingested_at", "_run_id")


def fingerprint(wh: Warehouse, technical: bool = True) -> dict[str, tuple]:
    """Row count and an order-independent hash of every bronze table (optionally without the
    columns that say when and by which run a row was written)."""
    excluded = {table: "_ingested_at, _run_id" for table in FEEDS}
    excluded["ingest_ledger"] = "modified_at, first_seen_at, loaded_at, run_id"
    excluded["quarantine_landing"] = "run_id, quarantined_at"
    out = {}
    for table, columns in excluded.items():
        select = "*" if technical else f"* exclude ({columns})"
        out[table] = wh.sql(f"select count(*), sum(hash(t)) from "
                            f"(select {select} from bronze.{table}) as t")[0]
    return out


@pytest.fixture
def wh(tmp_path: Path, generated: Path) -> Warehouse:
    return Warehouse(tmp_path, generated)


def test_rerun_without_new_files_changes_nothing(wh: Warehouse) -> None:
    wh.deliver(2)
    wh.dbt("run", *BRONZE)
    before = fingerprint(wh)
    wh.dbt("run", *BRONZE)
    assert fingerprint(wh) == before
    assert wh.one("select count(distinct run_id) from bronze.ingest_ledger") == 1


def test_compiling_reads_no_landing_file(wh: Warehouse) -> None:
    """`dbt compile` and `dbt docs generate` on a landing zone of new files touch none of them:
    bronze discovers and reads files in its materialization, at run time. Every landing file is
    a FIFO here, so a command that opened one would block until the timeout."""
    for path in wh.deliver(1):
        file = wh.landing / path
        file.unlink()
        os.mkfifo(file)
    for command in (("compile",), ("docs", "generate")):
        result = subprocess.run(wh.command(*command), cwd=wh.project_dir, env=wh.env,
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stdout[-3000:]
    compiled = (wh.root / "target" / "compiled" / "lakehouse" / "models" / "bronze")
    assert "landing" in (compiled / "cdc_orders.sql").read_text()
    assert not wh.db.exists() or wh.sql(
        "select count(*) from information_schema.tables where table_schema = 'bronze'") == [(0,)]


@pytest.mark.slow
def test_only_new_files_are_read(wh: Warehouse) -> None:
    wh.deliver(1)
    wh.dbt("run", *BRONZE)
    loaded = dict(wh.sql("select path, loaded_at from bronze.ingest_ledger"))
    # Overwrite files already ingested with junk: a run that read them again would fail or
    # quarantine them. (Removing read permission proves nothing here: the tests run as root.)
    old_parquet = wh.landing / "full" / "customer" / r.DAY0.isoformat() / "part-0000.parquet"
    old_json = next((wh.landing / "cdc" / "orders").glob("*/0001.jsonl"))
    old_parquet.write_bytes(b"not parquet at all")
    old_json.write_text("{broken\n")
    new = wh.deliver(2)
    wh.dbt("run", *BRONZE)
    ledger = dict(wh.sql("select path, loaded_at from bronze.ingest_ledger"))
    assert set(ledger) == set(loaded) | set(new)
    assert {p: ledger[p] for p in loaded} == loaded
    assert wh.one("select count(*) from bronze.quarantine_landing where reason <> 'malformed JSON' "
                  "or source_file not like 'events/%'") == 0


@pytest.mark.slow
def test_killed_ingestion_reruns_to_the_uninterrupted_result(tmp_path: Path, generated: Path) -> None:
    reference = Warehouse(tmp_path / "reference", generated)
    reference.deliver()
    reference.dbt("run", *BRONZE)
    expected = fingerprint(reference, technical=False)
    files = len([p for p in reference.landing.rglob("*") if p.is_file()])
    # kill -9 the moment dbt starts a feed model (earlier feeds are committed, this one is not),
    # or a moment into it (most likely inside its transaction)
    for victim, delay in (("full_lineitem", 0.0), ("cdc_orders", 0.0), ("web_events_raw", 0.0),
                          ("full_lineitem", 0.15)):
        wh = Warehouse(tmp_path / f"killed-{victim}-{delay}", generated)
        wh.deliver()
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
        assert 0 < ledger < files, f"killed at {victim}: {ledger} of {files} files in the ledger"
        wh.dbt("run", *BRONZE)
        assert fingerprint(wh, technical=False) == expected, f"killed in {victim}"


def test_every_line_is_accounted_for(wh: Warehouse, generated: Path) -> None:
    wh.deliver()
    defects = json.loads((generated / "truth" / "defects.json").read_text())
    # a truncated copy of a change file, a duplicate under a new name, hand-made bad lines,
    # an unreadable Parquet extract
    source = next((wh.landing / "cdc" / "orders").glob("*/0002.jsonl"))
    text = source.read_text()
    (source.parent / "0090.jsonl").write_text(text[: len(text) // 2 + 7])
    shutil.copyfile(source, source.parent / "0091.jsonl")
    (source.parent / "0092.jsonl").write_text(
        '[1, 2]\n\n{"op": "x", "source": {"lsn": 1, "ts_ms": 1}, "after": {"o_orderkey": 1}}\n'
        '{"op": "c", "source": {"ts_ms": 1}, "after": {"o_orderkey": 1}}\n'
        '{"op": "c", "source": {"lsn": 5, "ts_ms": 1}, "after": {"o_custkey": 1}}\n'
        '{"op": "u", "source": {"lsn": 5, "ts_ms": 1}, "after": null}\n'
        '{"op": "d", "source": {"lsn": "five", "ts_ms": 1}, "before": {"o_orderkey": 1}}\n'
    )
    broken = wh.landing / "full" / "part" / "1998-09-01" / "part-0000.parquet"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"PAR1 truncated")
    wh.dbt("run", *BRONZE)

    for feed, path, lines, loaded, quarantined, tombstones in wh.sql(
            "select feed, path, line_count, rows_loaded, rows_quarantined, tombstones "
            "from bronze.ingest_ledger where feed not like 'full%' and status <> 'duplicate'"):
        real_lines = len((wh.landing / path).read_text().splitlines())
        assert lines == real_lines == loaded + quarantined + tombstones, path
        table = "web_events_raw" if feed == "web_events" else feed
        assert wh.one(f"select count(*) from bronze.{table} where _source_file = '{path}'") == loaded
        assert wh.one("select count(*) from bronze.quarantine_landing "
                      f"where source_file = '{path}'") == quarantined
    truncated = wh.sql("select status, rows_loaded, message from bronze.ingest_ledger "
                       "where path like '%/0090.jsonl'")
    assert truncated[0][:2] == ("quarantined", 0)
    assert "truncated mid-line" in truncated[0][2]
    duplicate = wh.sql("select status, duplicate_of, rows_loaded from bronze.ingest_ledger "
                       "where path like '%/0091.jsonl'")
    assert duplicate == [("duplicate", str(source.relative_to(wh.landing)), 0)]
    reasons = {row[0] for row in wh.sql(
        "select reason from bronze.quarantine_landing where source_file like '%/0092.jsonl'")}
    assert reasons == {"not a JSON object", "empty line", "unknown op: x",
                       "missing required field: source.lsn", "missing required field: o_orderkey",
                       "missing required field: after", "wrong type: source.lsn is not an integer"}
    assert wh.sql("select status, message from bronze.ingest_ledger "
                  "where path = 'full/part/1998-09-01/part-0000.parquet'") == [
        ("quarantined", "unreadable Parquet file: quarantined whole")]
    assert wh.one("select count(*) from bronze.full_part where _extract_date = '1998-09-01'") == 0
    # the generator's defects, found exactly
    assert wh.one("select count(*) from bronze.quarantine_landing where feed = 'web_events' "
                  "and reason = 'malformed JSON'") == defects["web"]["malformed_lines"]
    for table in r.CDC_TABLES:
        assert wh.one("select sum(tombstones) from bronze.ingest_ledger "
                      f"where feed = 'cdc_{table}'") == defects["cdc"][table]["tombstones"]


@pytest.mark.slow
def test_wrapped_and_unwrapped_events_load_identically(wh: Warehouse) -> None:
    wh.deliver(1)
    wrapped = next(p for p in sorted((wh.landing / "cdc" / "lineitem").glob("*/*.jsonl"))
                   if p.read_text().startswith('{"schema":'))
    unwrapped = wrapped.with_name("0099.jsonl")
    lines = [json.loads(line) for line in wrapped.read_text().splitlines()]
    unwrapped.write_text("".join(
        json.dumps(line["payload"] if line else None, separators=(",", ":")) + "\n"
        for line in lines))
    wh.dbt("run", *BRONZE)
    columns = "* exclude (_source_file, _is_wrapped, _ingested_at, _run_id)"
    a = wh.sql(f"select {columns} from bronze.cdc_lineitem where _source_file = "
               f"'{wrapped.relative_to(wh.landing)}' order by _source_line")
    b = wh.sql(f"select {columns} from bronze.cdc_lineitem where _source_file = "
               f"'{unwrapped.relative_to(wh.landing)}' order by _source_line")
    assert a == b and len(a) > 0
    assert wh.sql("select distinct _is_wrapped from bronze.cdc_lineitem "
                  f"where _source_file = '{wrapped.relative_to(wh.landing)}'") == [(True,)]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["addNewColumns", "rescue", "failOnNewColumns", "none"])
def test_schema_evolution_modes(wh: Warehouse, mode: str) -> None:
    wh.deliver(r.WEB_NEW_FIELD_DAY - 1)
    variables = json.dumps({"schema_evolution_mode": {"web_events": mode}})
    wh.dbt("run", *BRONZE, "--vars", variables)
    assert "device" not in {c[0] for c in wh.sql("describe bronze.web_events_raw")}
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


@pytest.mark.slow
def test_feed_without_files_gives_an_empty_table(wh: Warehouse) -> None:
    wh.deliver(0)
    assert not (wh.landing / "events").exists()
    wh.dbt("run", *BRONZE)
    assert wh.one("select count(*) from bronze.web_events_raw") == 0
    assert wh.one("select count(*) from bronze.cdc_orders") == 0
    assert wh.one("select count(*) from bronze.full_orders") > 0


@pytest.mark.slow
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
    assert runs == max(len(list(wh.landing.glob(p))) for p in feeds().values())
    assert fingerprint(wh, technical=False) == fingerprint(reference, technical=False)


@pytest.mark.slow
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


@pytest.mark.slow
def test_ingest_benchmark_smoke() -> None:
    rows = bench_ingest([2, 6], lines=20, repeats=1, log=lambda _: None)
    assert [r["n_ingested"] for r in rows] == [2, 6]
    assert rows[0]["ratio_to_smallest_n"] == 1.0
    assert all(r["model_seconds"] > 0 and r["rows_per_second"] > 0 for r in rows)
    assert "| 6 |" in report(rows)
