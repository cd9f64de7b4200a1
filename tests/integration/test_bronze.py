"""Bronze: Auto Loader-style ingestion, exactly once, nothing lost (each test a scenario on a
temporary landing zone, dbt run as a user runs it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bronze import BRONZE, fingerprint
from warehouse import Warehouse

import lakehouse.sources.generator.rates as r


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


def test_feed_without_files_gives_an_empty_table(wh: Warehouse) -> None:
    wh.deliver(0)
    assert not (wh.landing / "events").exists()
    wh.dbt("run", *BRONZE)
    assert wh.one("select count(*) from bronze.web_events_raw") == 0
    assert wh.one("select count(*) from bronze.cdc_orders") == 0
    assert wh.one("select count(*) from bronze.full_orders") > 0


