"""No file is a poison pill: files that cannot be read as their feed's format sit in the landing
zone, are quarantined whole with DuckDB's reason, and every feed loads the rest, run after run,
with silver and gold equal to a run without them. A quarantined file replaced by its producer
is ingested again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from warehouse import Warehouse

import lakehouse.sources.generator.rates as r
from lakehouse.build.pipeline import SCORING_TAG

DAY1 = "1998-08-03"


def fingerprint(wh: Warehouse) -> dict[str, tuple]:
    """Rows and an order-independent hash of every silver and gold table, without the columns
    that say when or by which run a row was written (technical `_` columns, dbt snapshots'
    build times, the per-run expectation counts)."""
    tables = wh.sql("select schema_name, table_name, list(column_name order by column_index) "
                    "from duckdb_columns() where schema_name in ('silver', 'gold') "
                    "and table_name not like '%_snapshot' and table_name <> 'dq_expectation_results' "
                    "group by all")
    out = {}
    for schema, table, columns in tables:
        kept = [f'"{c}"' for c in columns if not c.startswith("_")]
        out[f"{schema}.{table}"] = wh.sql(f"select count(*), sum(hash(({', '.join(kept)}))) "
                                          f"from {schema}.{table}")[0]
    return out


def corrupt_inside(source: Path, target: Path) -> None:
    """A Parquet file with its magic bytes and footer intact and garbage in its data pages."""
    data = bytearray(source.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for i in range(4, len(data) - footer):
        data[i] = (data[i] * 7 + 13) % 256
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(data))


def poison(wh: Warehouse) -> dict[str, Path]:
    cdc_customer = next((wh.landing / "cdc" / "customer").glob(f"{DAY1}/0001.jsonl"))
    event = cdc_customer.read_text().splitlines()[0]
    files = {
        "latin1": cdc_customer.with_name("0095.jsonl"),
        "binary": wh.landing / "cdc" / "orders" / DAY1 / "0096.jsonl",
        "csv_named_parquet": wh.landing / "full" / "part" / DAY1 / "part-0001.parquet",
        "corrupt_parquet": wh.landing / "full" / "supplier" / DAY1 / "part-0001.parquet",
        "truncated": wh.landing / "cdc" / "lineitem" / DAY1 / "0097.jsonl",
        "empty": wh.landing / "cdc" / "lineitem" / DAY1 / "0098.jsonl",
        "huge_and_deep": wh.landing / "events" / DAY1 / "0099.jsonl",
    }
    # the same event, with a Latin-1 character in a text field: not UTF-8
    text = event.replace('"c_comment":"', '"c_comment":"caf\u00e9 ', 1)
    files["latin1"].write_bytes((text + "\n").encode("latin-1"))
    files["binary"].write_bytes(bytes(range(256)) * 64)
    files["csv_named_parquet"].write_text("p_partkey,p_name\n1,widget\n")
    corrupt_inside(next((wh.landing / "full" / "supplier").glob(f"{r.DAY0}/*.parquet")),
                   files["corrupt_parquet"])
    lineitem = next((wh.landing / "cdc" / "lineitem").glob(f"{DAY1}/0001.jsonl")).read_text()
    files["truncated"].write_text(lineitem[: len(lineitem) // 3])
    files["empty"].write_bytes(b"")
    files["huge_and_deep"].write_text(
        json.dumps({"blob": "x" * 6_000_000}) + "\n"
        + '{"deep": ' + "[" * 50_000 + "]" * 50_000 + "}\n")
    return files


# as `lakehouse run` builds before the first training (the reference's build)
BUILD = ("build", "--exclude", f"tag:{SCORING_TAG}")


@pytest.fixture(scope="module")
def reference(generated: Path, published_all_days: Path) -> Warehouse:
    """Every day built without a poison file: the session's one-run warehouse (read only)."""
    return Warehouse(published_all_days, generated)


def test_poison_files_never_block_a_feed(reference: Warehouse, tmp_path: Path,
                                        generated: Path) -> None:
    wh = Warehouse(tmp_path, generated)
    wh.deliver()
    files = poison(wh)
    for _ in range(2):  # run after run
        wh.dbt(*BUILD)
        assert fingerprint(wh) == fingerprint(reference)
    ledger = {path: (status, message, lines, quarantined) for path, status, message, lines,
              quarantined in wh.sql("select path, status, message, line_count, rows_quarantined "
                                    "from bronze.ingest_ledger")}
    rel = {name: str(path.relative_to(wh.landing)) for name, path in files.items()}
    for name in ("latin1", "binary", "csv_named_parquet", "corrupt_parquet", "truncated"):
        status, message, _, quarantined = ledger[rel[name]]
        assert (status, quarantined >= 1) == ("quarantined", True), (name, message)
    reasons = dict(wh.sql("select source_file, reason from bronze.quarantine_landing "
                          "where source_line is null"))
    assert "UTF-8" in reasons[rel["latin1"]] and "UTF-8" in reasons[rel["binary"]]
    assert "PAR1" in reasons[rel["csv_named_parquet"]]
    assert reasons[rel["corrupt_parquet"]].startswith("unreadable Parquet file: ")
    assert ledger[rel["empty"]][:1] == ("loaded",) and ledger[rel["empty"]][2] == 0
    huge = wh.sql("select reason from bronze.quarantine_landing "
                  f"where source_file = '{rel['huge_and_deep']}' order by source_line")
    assert [row[0] for row in huge] == ["missing required field: event_id"] * 2
    # every other file of every feed loaded
    assert wh.one("select count(*) from bronze.ingest_ledger where status = 'quarantined'") == 5
    assert wh.one("select count(*) from bronze.ingest_ledger") == \
        reference.one("select count(*) from bronze.ingest_ledger") + len(files)

    # the producer replaces the Latin-1 file with a valid one: the next run ingests it
    fixed = files["latin1"]
    fixed.write_text(fixed.read_bytes().decode("latin-1"), encoding="utf-8")
    os.utime(fixed, (fixed.stat().st_atime, fixed.stat().st_mtime + 10))
    wh.dbt(*BUILD)
    assert wh.sql(f"select status, rows_loaded from bronze.ingest_ledger "
                  f"where path = '{rel['latin1']}'") == [("loaded", 1)]
    assert wh.one(f"select count(*) from bronze.quarantine_landing "
                  f"where source_file = '{rel['latin1']}'") == 0
    comment = wh.one("select c_comment from bronze.cdc_customer "
                     f"where _source_file = '{rel['latin1']}'")
    assert comment.startswith("caf\u00e9 ")


def test_bom_and_crlf_load_normally(tmp_path: Path, generated: Path) -> None:
    wh = Warehouse(tmp_path, generated)
    source = next((generated / "landing" / "events").glob(f"{DAY1}/0001.jsonl"))
    lines = [line for line in source.read_text().splitlines()
             if line.strip() and _is_event(line)][:50]
    target = wh.landing / "events" / DAY1 / "0001.jsonl"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    wh.dbt("run", "--select", "+web_events_raw")
    assert wh.sql("select status, line_count, rows_loaded, rows_quarantined from "
                  "bronze.ingest_ledger") == [("loaded", 50, 50, 0)]
    ids = {json.loads(line)["event_id"] for line in lines}
    assert {row[0] for row in wh.sql("select event_id from bronze.web_events_raw")} == ids


def _is_event(line: str) -> bool:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(event, dict) and all(k in event for k in ("event_id", "event_type", "ts"))


def test_corrupt_parquet_is_really_unreadable(tmp_path: Path, generated: Path) -> None:
    """The fixture itself: DuckDB fails to read the corrupted file (else the test above proves
    nothing)."""
    source = next((generated / "landing" / "full" / "supplier").glob(f"{r.DAY0}/*.parquet"))
    corrupt_inside(source, tmp_path / "bad.parquet")
    duckdb.sql(f"select * from parquet_metadata('{tmp_path / 'bad.parquet'}')").fetchall()
    with pytest.raises(duckdb.Error):
        duckdb.sql(f"select sum(hash(t)) from read_parquet('{tmp_path / 'bad.parquet'}') as t"
                   ).fetchall()
    shutil.rmtree(tmp_path)
