"""Debezium JSON change events, written as the landing zone's `cdc/` files.

Each event is Debezium's envelope as the PostgreSQL connector emits it (`before`, `after`,
`source`, `op`, `ts_ms`, `transaction`). Files alternate between the bare envelope and Kafka
Connect's JsonConverter form with `schemas.enable=true` (`{"schema": ..., "payload": ...}`).
Column values follow the table's connector settings in `rates.ENCODING`: decimals as JSON numbers
(`decimal.handling.mode=double`) or strings (`string`), dates as integer days since the epoch
(Debezium's default `io.debezium.time.Date`) or ISO-8601 strings.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

import lakehouse.sources.generator.rates as r

EPOCH = dt.date(1970, 1, 1)
CONNECTOR_VERSION = "2.7.3.Final"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe day0_{table}").fetchall()]


def _field_schema(name: str, duck_type: str, table: str) -> dict[str, Any]:
    decimals, dates = r.ENCODING[table]
    if duck_type.startswith("DECIMAL"):
        kind = "double" if decimals == "double" else "string"
        return {"type": kind, "optional": False, "field": name}
    if duck_type == "DATE":
        if dates == "days":
            return {"type": "int32", "optional": False, "name": "io.debezium.time.Date",
                    "version": 1, "field": name}
        return {"type": "string", "optional": False, "field": name}
    kind = {"BIGINT": "int64", "INTEGER": "int32"}.get(duck_type, "string")
    return {"type": kind, "optional": False, "field": name}


def envelope_schema(table: str, columns: list[tuple[str, str]]) -> dict[str, Any]:
    """The Kafka Connect schema JsonConverter writes beside each payload."""
    row = {
        "type": "struct",
        "fields": [_field_schema(n, t, table) for n, t in columns],
        "optional": True,
        "name": f"retail.public.{table}.Value",
    }
    source_fields = [
        ("version", "string"), ("connector", "string"), ("name", "string"), ("ts_ms", "int64"),
        ("snapshot", "string"), ("db", "string"), ("sequence", "string"), ("schema", "string"),
        ("table", "string"), ("txId", "int64"), ("lsn", "int64"), ("xmin", "int64"),
    ]
    return {
        "type": "struct",
        "optional": False,
        "name": f"retail.public.{table}.Envelope",
        "version": 2,
        "fields": [
            {**row, "field": "before"},
            {**row, "field": "after"},
            {
                "type": "struct",
                "fields": [
                    {"type": t, "optional": n not in ("version", "connector", "name", "ts_ms",
                                                        "db", "schema", "table"), "field": n}
                    for n, t in source_fields
                ],
                "optional": False,
                "name": "io.debezium.connector.postgresql.Source",
                "field": "source",
            },
            {"type": "string", "optional": False, "field": "op"},
            {"type": "int64", "optional": True, "field": "ts_ms"},
            {
                "type": "struct",
                "fields": [
                    {"type": "string", "optional": False, "field": "id"},
                    {"type": "int64", "optional": False, "field": "total_order"},
                    {"type": "int64", "optional": False, "field": "data_collection_order"},
                ],
                "optional": True,
                "name": "event.block",
                "field": "transaction",
            },
        ],
    }


def encode_row(row: dict[str, Any] | None, table: str) -> dict[str, Any] | None:
    if row is None:
        return None
    decimals, dates = r.ENCODING[table]
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, decimal.Decimal):
            value = float(value) if decimals == "double" else str(value)
        elif isinstance(value, dt.date):
            value = (value - EPOCH).days if dates == "days" else value.isoformat()
        out[name] = value
    return out


def _dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


class CdcWriter:
    """Turns the simulation's events into landing files, injecting the feed's defects."""

    def __init__(self, con: duckdb.DuckDBPyConnection, landing: Path, days: int, seed: int):
        self.con = con
        self.landing = landing
        self.days = days
        self.seed = seed
        self.carry: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        self.counts: dict[str, dict[str, int]] = {
            t: defaultdict(int) for t in r.CDC_TABLES  # type: ignore[misc]
        }
        self.schemas = {t: envelope_schema(t, _columns(con, t)) for t in r.CDC_TABLES}
        self.tx_orders: dict[int, int] = defaultdict(int)

    def _event(self, table: str, row: tuple[Any, ...]) -> dict[str, Any]:
        lsn, txid, ts_us, op, before, after = row
        ts_ms = ts_us // 1000
        self.tx_orders[txid] += 1
        return {
            "before": encode_row(before, table),
            "after": encode_row(after, table),
            "source": {
                "version": CONNECTOR_VERSION,
                "connector": "postgresql",
                "name": "retail",
                "ts_ms": ts_ms,
                "snapshot": "true" if op == "r" else "false",
                "db": "retail",
                "sequence": _dump([str(lsn - 8), str(lsn)]),
                "schema": "public",
                "table": table,
                "txId": txid,
                "lsn": lsn,
                "xmin": None,
            },
            "op": op,
            "ts_ms": ts_ms + 250 + lsn % 500,
            "transaction": None if op == "r" else {
                "id": f"{txid}:{lsn}",
                "total_order": self.tx_orders[txid],
                "data_collection_order": self.tx_orders[txid],
            },
        }

    def write_day(self, table: str, day: int, date: dt.date) -> list[dict[str, Any]]:
        """Write one table-day of events; returns the manifest entries of its files."""
        keys = r.KEYS[table]
        rows = self.con.execute(
            f"select lsn, txid, ts_us, op, before, after from ev_{table} "
            f"where day = {day} order by lsn"
        ).fetchall()
        rng = random.Random(f"{self.seed}:{table}:{day}")
        counts = self.counts[table]
        events = [(row[0], self._event(table, row)) for row in rows]
        n_files = max(2, math.ceil(len(events) / r.EVENTS_PER_FILE))
        per_file = max(1, math.ceil(len(events) / n_files))
        files: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(n_files)]
        by_key: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for i, (lsn, ev) in enumerate(events):
            files[min(i // per_file, n_files - 1)].append((lsn, ev))
            image = ev["after"] or ev["before"]
            by_key[tuple(image[k] for k in keys)].append(i)

        # out of order: a key's events split across files against LSN order (files are
        # consumed in name order, so the key's events are read out of sequence)
        multi = sorted(k for k, idx in by_key.items() if len(idx) > 1)
        chosen = rng.sample(multi, max(1, round(r.OUT_OF_ORDER_KEYS * len(multi)))) if multi else []
        where = {id(ev): f for f, chunk in enumerate(files) for _, ev in chunk}
        for key in chosen:
            first, last = events[by_key[key][0]], events[by_key[key][-1]]
            f_first, f_last = where[id(first[1])], where[id(last[1])]
            if f_first > 0:  # the key's last event goes to a file before its first
                files[f_last].remove(last)
                files[f_first - 1].append(last)
            elif f_last + 1 < n_files:  # its first event goes to a file after its last
                files[f_first].remove(first)
                files[f_last + 1].insert(0, first)
            else:  # it spans every file: its last event goes first
                files[f_last].remove(last)
                files[0].insert(0, last)
            counts["out_of_order_keys"] += 1

        # duplicates: re-delivered copies, in the next day's first file (last day: last file)
        n_dup = max(1, round(r.DUPLICATE_EVENTS * len(events))) if events else 0
        dups = [events[i] for i in sorted(rng.sample(range(len(events)), n_dup))]
        counts["duplicate_events"] += n_dup
        if day < self.days:
            carried, self.carry[table] = self.carry[table], dups
        else:
            carried = self.carry[table]
            files[-1].extend(dups)
        files[0][:0] = carried

        late = day % r.LATE_FILE_EVERY == 2 and day + r.LATE_FILE_DELAY <= self.days
        entries = []
        for f, chunk in enumerate(files):
            wrapped = (r.CDC_TABLES.index(table) + day + f) % 2 == 0
            lines = []
            for _, ev in chunk:
                lines.append(_dump({"schema": self.schemas[table], "payload": ev}) if wrapped
                             else _dump(ev))
                if ev["op"] == "d":
                    lines.append("null")
                    counts["tombstones"] += 1
            rel = f"cdc/{table}/{date.isoformat()}/{f + 1:04d}.jsonl"
            path = self.landing / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n" if lines else "")
            counts["files"] += 1
            counts["wrapped_files"] += wrapped
            counts["events"] += len(chunk)
            is_late = late and f == n_files - 1
            counts["late_files"] += is_late
            entries.append({
                "path": rel, "data_day": day,
                "arrival_day": day + r.LATE_FILE_DELAY if is_late else day,
                "lines": len(lines),
            })
        return entries
