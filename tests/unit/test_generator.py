"""The source simulator: its truth is consistent with its files, defects are as documented.

The replay here is written independently of the generator: it reads the landing files as a
consumer would (JSON lines, both Debezium forms, both value encodings) and applies them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

import lakehouse.sources.generator.rates as r
from lakehouse.sources.generator import deliver, generate

EPOCH = dt.date(1970, 1, 1)
CENT = decimal.Decimal("0.01")


def _types(path: Path) -> dict[str, str]:
    return {row[0]: row[1] for row in duckdb.sql(f"describe select * from '{path}'").fetchall()}


def _decode(value: Any, duck_type: str) -> Any:
    """A Debezium JSON value as the Python value DuckDB returns for the column type."""
    if value is None:
        return None
    if duck_type == "DATE":
        return EPOCH + dt.timedelta(days=value) if isinstance(value, int) else dt.date.fromisoformat(value)
    if duck_type.startswith("DECIMAL"):
        return decimal.Decimal(str(value)).quantize(CENT)
    return value


def _rows(path: Path | str) -> list[dict[str, Any]]:
    rel = duckdb.sql(f"select * from '{path}'")
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def _cdc_lines(landing: Path, table: str):
    """Yield (folder date, file number, line number, parsed line) in path order."""
    for path in sorted((landing / "cdc" / table).glob("*/*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            yield path.parent.name, int(path.stem), n, json.loads(line)


def _payload(line: Any) -> dict[str, Any] | None:
    if line is None:
        return None
    return line["payload"] if "schema" in line and "payload" in line else line


def _replay(generated: Path, table: str) -> tuple[dict, list[dict[str, Any]]]:
    """Day-0 extract + every distinct event in LSN order -> final state, and the events."""
    landing = generated / "landing"
    types = _types(generated / "truth" / "final" / f"{table}.parquet")
    keys = r.KEYS[table]
    state = {tuple(row[k] for k in keys): row
             for row in _rows(landing / "full" / table / r.DAY0.isoformat() / "*.parquet")}
    events: dict[int, dict[str, Any]] = {}
    for *_, line in _cdc_lines(landing, table):
        event = _payload(line)
        if event is not None:
            events.setdefault(event["source"]["lsn"], event)
    ordered = [events[lsn] for lsn in sorted(events)]
    for event in ordered:
        image = event["after"] if event["op"] != "d" else event["before"]
        row = {c: _decode(image[c], t) for c, t in types.items()}
        key = tuple(row[k] for k in keys)
        if event["op"] == "d":
            state.pop(key, None)
        else:
            state[key] = row
    return state, ordered


@pytest.mark.parametrize("table", r.CDC_TABLES)
def test_replay_reproduces_truth_final_state(generated: Path, table: str) -> None:
    state, events = _replay(generated, table)
    truth = _rows(generated / "truth" / "final" / f"{table}.parquet")
    keys = r.KEYS[table]
    assert len(events) > 0
    assert {tuple(row[k] for k in keys): row for row in truth} == state


@pytest.mark.parametrize("table", r.CDC_TABLES)
def test_replay_reproduces_truth_history(generated: Path, table: str) -> None:
    _, events = _replay(generated, table)
    truth = _rows(generated / "truth" / "history" / f"{table}.parquet")
    types = _types(generated / "truth" / "final" / f"{table}.parquet")
    keys = r.KEYS[table]
    # every versioned value in the truth history was written by an event at that time
    by_key: dict[tuple, list[tuple[dt.datetime, bool, dict[str, Any]]]] = defaultdict(list)
    for event in events:
        image = event["after"] if event["op"] != "d" else event["before"]
        row = {c: _decode(image[c], t) for c, t in types.items()}
        ts = dt.datetime.fromtimestamp(event["source"]["ts_ms"] / 1000, dt.UTC).replace(tzinfo=None)
        by_key[tuple(row[k] for k in keys)].append((ts, event["op"] == "d", row))
    day0 = dt.datetime.combine(r.DAY0, dt.time())
    history: dict[tuple, list[tuple]] = defaultdict(list)
    for version in truth:
        history[tuple(version[k] for k in keys)].append(version)
    changed_keys = 0
    for key, versions in history.items():
        versions.sort(key=lambda v: v["valid_from"])
        for earlier, later in itertools.pairwise(versions):
            assert earlier["valid_to"] == later["valid_from"]
        assert versions[-1]["valid_to"] is None
        expected = [(v["valid_from"], v["is_deleted"], {c: v[c] for c in types}) for v in versions
                    if v["valid_from"] != day0]
        # the events of a key, minus those that changed nothing (re-snapshot reads)
        seen, previous = [], None
        if versions[0]["valid_from"] == day0:
            previous = (False, {c: versions[0][c] for c in types})
        for ts, deleted, row in by_key.get(key, []):
            if previous != (deleted, row):
                seen.append((ts, deleted, row))
            previous = (deleted, row)
        assert [(t, d, row) for t, d, row in seen] == expected, key
        changed_keys += bool(expected)
    assert changed_keys > 0


@pytest.mark.parametrize("table", r.CATALOG_TABLES)
def test_latest_extract_is_truth_final_state(generated: Path, table: str) -> None:
    last = sorted((generated / "landing" / "full" / table).iterdir())[-1]
    assert last.name == (r.DAY0 + dt.timedelta(days=7)).isoformat()
    keys = ", ".join(r.KEYS[table])
    extract = duckdb.sql(f"select * from '{last}/*.parquet' order by {keys}").fetchall()
    truth = duckdb.sql(f"select * from '{generated}/truth/final/{table}.parquet' "
                       f"order by {keys}").fetchall()
    assert extract == truth
    # history: one current version per live key, deletions recorded
    current = duckdb.sql(f"select count(*) from '{generated}/truth/history/{table}.parquet' "
                         "where valid_to is null and not is_deleted").fetchone()
    assert current == (len(truth),)


def test_cdc_defects_are_present_at_their_documented_counts(generated: Path) -> None:
    defects = json.loads((generated / "truth" / "defects.json").read_text())
    manifest = json.loads((generated / "manifest.json").read_text())
    landing = generated / "landing"
    for table in r.CDC_TABLES:
        counts = defects["cdc"][table]
        seen: set[int] = set()
        duplicates = tombstones = wrapped = 0
        positions: dict[tuple[str, tuple], list[tuple[int, int, int]]] = defaultdict(list)
        date_encodings, decimal_encodings = set(), set()
        wrapped_files = set()
        for folder, file_no, line_no, line in _cdc_lines(landing, table):
            if line is None:
                tombstones += 1
                continue
            if "payload" in line:
                wrapped_files.add((folder, file_no))
            event = _payload(line)
            lsn = event["source"]["lsn"]
            if lsn in seen:
                duplicates += 1
                continue
            seen.add(lsn)
            image = event["after"] or event["before"]
            date_encodings |= {type(v).__name__ for k, v in image.items() if k.endswith("date")}
            decimal_encodings |= {type(v).__name__ for k, v in image.items()
                                  if k.endswith(("price", "acctbal", "tax", "discount"))}
            key = tuple(image[k] for k in r.KEYS[table])
            event_day = dt.datetime.fromtimestamp(event["source"]["ts_ms"] / 1000, dt.UTC).date()
            if event_day.isoformat() == folder:
                positions[(folder, key)].append((file_no, line_no, lsn))
        wrapped = len(wrapped_files)
        out_of_order = sum(1 for p in positions.values()
                           if [lsn for *_, lsn in sorted(p)] != sorted(lsn for *_, lsn in p))
        assert duplicates == counts["duplicate_events"] > 0
        assert tombstones == counts["tombstones"] > 0
        assert out_of_order == counts["out_of_order_keys"] > 0
        assert 0 < wrapped == counts["wrapped_files"] < counts["files"]
        late = [f for f in manifest["files"]
                if f["path"].startswith(f"cdc/{table}/") and f["arrival_day"] > f["data_day"]]
        assert len(late) == counts["late_files"] == 2
        decimals, dates = r.ENCODING[table]
        assert date_encodings <= ({"int"} if dates == "days" else {"str"})
        if table != "customer":
            assert decimal_encodings == ({"float"} if decimals == "double" else {"str"})
    # delete then re-insert, re-snapshot reads and rule breakers, counted in the events
    source = defects["source"]
    ops: dict[str, dict[tuple, list[str]]] = {}
    order_dates: dict[int, dt.date] = {}
    breakers: Counter[str] = Counter()
    for table in r.CDC_TABLES:
        _, events = _replay(generated, table)
        ops[table] = defaultdict(list)
        for event in events:
            image = event["after"] or event["before"]
            ops[table][tuple(image[k] for k in r.KEYS[table])].append(event["op"])
            if table == "orders" and event["op"] == "c":
                order_dates[image["o_orderkey"]] = _decode(image["o_orderdate"], "DATE")
            if table == "lineitem" and event["op"] == "c":
                breakers["negative_quantity"] += image["l_quantity"] < 0
                breakers["unknown_ship_mode"] += image["l_shipmode"] == r.UNKNOWN_SHIP_MODE
                breakers["ship_before_order"] += (_decode(image["l_shipdate"], "DATE")
                                                  < order_dates[image["l_orderkey"]])
    reinserts = {t: sum("dc" in "".join(seq) for seq in ops[t].values()) for t in r.CDC_TABLES}
    assert reinserts["customer"] == source["customer_delete_reinsert"] == 7
    assert reinserts["orders"] == source["order_delete_reinsert"]
    assert sum(o.count("r") for o in ops["customer"].values()) == source["resnapshot_reads"] > 0
    assert breakers["negative_quantity"] == source["negative_quantity"] == 7
    assert breakers["unknown_ship_mode"] == source["unknown_ship_mode"] == 7
    assert breakers["ship_before_order"] == source["ship_before_order"] == 7
    violations = duckdb.sql(f"select rule, count(*) from '{generated}/truth/rule_violations.parquet' "
                            "group by rule").fetchall()
    assert {rule for rule, _ in violations} <= set(r.RULE_BREAKERS)
    assert dict(violations).get("ship_before_order", 0) > 0


def test_web_defects_are_present_at_their_documented_counts(generated: Path) -> None:
    counts = json.loads((generated / "truth" / "defects.json").read_text())["web"]
    malformed = duplicates = late = wrong_type = 0
    ids: set[str] = set()
    device_days = set()
    for path in sorted((generated / "landing" / "events").glob("*/*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                malformed += 1
                continue
            if event["event_id"] in ids:
                duplicates += 1
                continue
            ids.add(event["event_id"])
            late += event["ts"][:10] < path.parent.name
            wrong_type += isinstance(event["part_key"], str)
            if "device" in event:
                device_days.add(path.parent.name)
    truth = [json.loads(line) for line in (generated / "truth" / "web_events.jsonl").open()]
    assert len(truth) == len(ids) == counts["events"]
    assert malformed == counts["malformed_lines"] > 0
    assert duplicates == counts["duplicate_events"] > 0
    assert late == counts["late_events"] == sum(e["is_late"] for e in truth) > 0
    assert wrong_type == counts["wrong_type_part_key"] > 0
    assert min(device_days) == (r.DAY0 + dt.timedelta(days=r.WEB_NEW_FIELD_DAY)).isoformat()


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_generation_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    generate(tmp_path / "a", sf=0.01, days=2, seed=3, log=lambda _: None)
    generate(tmp_path / "b", sf=0.01, days=2, seed=3, log=lambda _: None)
    generate(tmp_path / "c", sf=0.01, days=2, seed=4, log=lambda _: None)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a" / "landing" / "cdc") != _digest(tmp_path / "c" / "landing" / "cdc")


def test_change_scale_multiplies_the_days_change_volume_and_truth_holds(tmp_path: Path) -> None:
    """`--change-scale 10` (the bench's change-size axis): ten times the day's changes of every
    kind at the same scale factor, and the truth still follows from the files."""
    volume = {}
    for scale in (1.0, 10.0):
        out = tmp_path / f"c{scale:g}"
        manifest = generate(out, sf=0.01, days=1, seed=5, change_scale=scale, log=lambda _: None)
        assert manifest["params"]["change_scale"] == scale
        volume[scale] = {table: len(_replay(out, table)[1]) for table in r.CDC_TABLES}
        volume[scale]["web"] = sum(f["lines"] for f in manifest["files"]
                                   if f["path"].startswith("events/"))
        for table in r.CDC_TABLES:
            truth = _rows(out / "truth" / "final" / f"{table}.parquet")
            keys = r.KEYS[table]
            assert {tuple(row[k] for k in keys): row for row in truth} == _replay(out, table)[0]
    # not exactly 10x: at SF 0.01 the rarest kinds round up to one a day, and changes are drawn
    # per row (a rate is a probability), so a small day varies by some percent
    cdc = {scale: sum(counts[t] for t in r.CDC_TABLES) for scale, counts in volume.items()}
    assert 8 * cdc[1.0] <= cdc[10.0] <= 12 * cdc[1.0], volume
    assert 9 * volume[1.0]["web"] <= volume[10.0]["web"] <= 11 * volume[1.0]["web"], volume
    for table in r.CDC_TABLES:
        assert volume[10.0][table] >= 5 * volume[1.0][table], volume


def test_zero_change_days_write_only_day0_extracts(tmp_path: Path) -> None:
    manifest = generate(tmp_path, sf=0.01, days=0, seed=1, log=lambda _: None)
    assert {f["path"].split("/")[0] for f in manifest["files"]} == {"full"}
    assert len(manifest["files"]) == len(r.ALL_TABLES)
    assert not (tmp_path / "landing" / "cdc").exists()


def test_delivery_day_by_day_brings_late_files_on_their_arrival_day(generated: Path,
                                                                   tmp_path: Path) -> None:
    manifest = json.loads((generated / "manifest.json").read_text())
    late = [f for f in manifest["files"] if f["arrival_day"] > f["data_day"]]
    assert late
    first_late = min(late, key=lambda f: f["arrival_day"])
    landing = tmp_path / "landing"
    for day in range(first_late["arrival_day"]):
        deliver(generated, landing, day)
    assert not (landing / first_late["path"]).exists()
    assert (landing / first_late["path"]).parent.exists()  # its day's other files are there
    assert first_late["path"] in deliver(generated, landing, first_late["arrival_day"])
    assert deliver(generated, landing, first_late["arrival_day"]) == []  # idempotent
    deliver(generated, landing)
    delivered = sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file())
    assert delivered == sorted(f["path"] for f in manifest["files"])


def test_drift_slows_one_ship_mode_from_its_day_and_truth_holds(tmp_path: Path) -> None:
    """`--drift-ship-mode MAIL` (the late-delivery model's drift, docs/ml.md): from its day on,
    every MAIL line not received by then, and every one that ships later, is received
    `delay_days` later than without the drift, nothing else changes, more of those lines are
    late, and the truth still follows from the files."""
    from lakehouse.sources.generator.simulate import Drift

    drift = Drift("MAIL", from_day=1, delay_days=20)
    plain = generate(tmp_path / "plain", sf=0.01, days=2, seed=3, log=lambda _: None)
    drifted = generate(tmp_path / "drift", sf=0.01, days=2, seed=3, drift=drift,
                       log=lambda _: None)
    assert "drift" not in plain["params"]
    assert drifted["params"]["drift"] == {"ship_mode": "MAIL", "from_day": 1, "delay_days": 20}
    keys = r.KEYS["lineitem"]
    before, after = ({tuple(row[k] for k in keys): row for row in
                      _rows(out / "truth" / "final" / "lineitem.parquet")}
                     for out in (tmp_path / "plain", tmp_path / "drift"))
    assert before.keys() == after.keys()
    moved = [key for key in before if before[key] != after[key]]
    day1 = r.DAY0 + dt.timedelta(days=1)
    # the slowdown holds every MAIL line not received by its first day, in transit or not
    assert moved and {k for k, row in before.items() if row["l_shipmode"] == "MAIL"
                      and row["l_receiptdate"] >= day1} <= set(moved)
    for key in moved:
        old, new = before[key], after[key]
        assert new["l_shipmode"] == "MAIL" and (
            new["l_shipdate"] >= day1 or old["l_receiptdate"] >= day1), new
        assert new["l_receiptdate"] - old["l_receiptdate"] == dt.timedelta(days=20)
        assert {k: v for k, v in new.items() if k != "l_receiptdate"} == \
            {k: v for k, v in old.items() if k != "l_receiptdate"}

    def late(rows: dict) -> int:
        return sum(rows[k]["l_receiptdate"] > rows[k]["l_commitdate"] for k in moved)

    assert late(after) > late(before)
    for table in ("orders", "customer"):
        assert _replay(tmp_path / "drift", table)[0] == _replay(tmp_path / "plain", table)[0]
    assert {tuple(row[k] for k in keys): row for row in after.values()} == \
        _replay(tmp_path / "drift", "lineitem")[0]
