"""Every value encoding of Debezium's JSON output, decoded exactly, line by line within one file;
the sequence declared per feed (PostgreSQL, MySQL, SQL Server). The expected values come from
Python's own encoders of Debezium's formats (base64 two's complement, epoch units), not from
the SQL under test."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from warehouse import Warehouse, project_copy

SILVER = ("--select", "path:models/bronze", "path:models/silver")
EPOCH = dt.datetime(1970, 1, 1)
DECIMAL = "org.apache.kafka.connect.data.Decimal"
# columns of the source's own, declared as a user onboarding it would (cdc_orders)
EXTRA = [{"name": "o_ts", "data_type": "timestamp"}, {"name": "o_time", "data_type": "time"},
         {"name": "o_flag", "data_type": "boolean"}, {"name": "o_bytes", "data_type": "blob"},
         {"name": "o_micros", "data_type": "timestamp",
          "config": {"meta": {"encoding": "io.debezium.time.MicroTimestamp"}}}]


def unscaled_bytes(value: Decimal, scale: int) -> str:
    """Kafka Connect Decimal: the unscaled value, big-endian two's complement, base64."""
    n = int(value.scaleb(scale))
    return base64.b64encode(n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)).decode()


def micros(at: dt.datetime) -> int:
    return (at - EPOCH) // dt.timedelta(microseconds=1)


def field(name: str, kind: str, logical: str | None = None, **parameters: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "optional": True, "field": name}
    if logical:
        out["name"] = logical
    if parameters:
        out["parameters"] = parameters
    return out


def line(source: dict[str, Any], after: dict[str, Any], schema: list[dict[str, Any]] | None,
         op: str = "u") -> str:
    payload = {"before": None, "after": after, "source": {"ts_ms": 1_700_000_000_000, **source},
               "op": op, "ts_ms": 1_700_000_000_500}
    if schema is None:
        return json.dumps(payload)
    row = {"type": "struct", "optional": True, "fields": schema}
    envelope = {"type": "struct", "name": "x.Envelope",
                "fields": [{**row, "field": "before"}, {**row, "field": "after"},
                           {"type": "struct", "field": "source", "fields": []},
                           {"type": "string", "field": "op"}]}
    return json.dumps({"schema": envelope, "payload": payload})


AT = dt.datetime(2026, 3, 4, 5, 6, 7, 891234)
# (after image, its Connect schema or None, expected decoded values) per order line
ORDERS = [
    # Debezium's defaults: precise decimals, Date, MicroTimestamp, MicroTime
    ({"o_orderkey": 1, "o_totalprice": unscaled_bytes(Decimal("-12345678901.99"), 2),
      "o_orderdate": -165, "o_ts": micros(AT), "o_time": 45_296_123_456, "o_flag": True,
      "o_bytes": base64.b64encode(b"\x00\xffab").decode(), "o_micros": micros(AT)},
     [field("o_orderkey", "int64"), field("o_totalprice", "bytes", DECIMAL, scale="2"),
      field("o_orderdate", "int32", "io.debezium.time.Date"),
      field("o_ts", "int64", "io.debezium.time.MicroTimestamp"),
      field("o_time", "int64", "io.debezium.time.MicroTime"), field("o_flag", "boolean"),
      field("o_bytes", "bytes"), field("o_micros", "int64", "io.debezium.time.MicroTimestamp")],
     {"o_totalprice": Decimal("-12345678901.99"), "o_orderdate": dt.date(1969, 7, 20),
      "o_ts": AT, "o_time": dt.time(12, 34, 56, 123456), "o_flag": True, "o_bytes": b"\x00\xffab",
      "o_micros": AT}),
    # a scale in the schema other than the declared one; ms Timestamp; ms Time; Connect Date
    ({"o_orderkey": 2, "o_totalprice": unscaled_bytes(Decimal("7.5"), 1), "o_orderdate": 0,
      "o_ts": micros(AT) // 1000, "o_time": 45_296_123, "o_flag": False, "o_micros": -1},
     [field("o_orderkey", "int64"), field("o_totalprice", "bytes", DECIMAL, scale="1"),
      field("o_orderdate", "int32", "org.apache.kafka.connect.data.Date"),
      field("o_ts", "int64", "io.debezium.time.Timestamp"),
      field("o_time", "int32", "io.debezium.time.Time"), field("o_flag", "boolean"),
      field("o_micros", "int64", "io.debezium.time.MicroTimestamp")],
     {"o_totalprice": Decimal("7.50"), "o_orderdate": dt.date(1970, 1, 1),
      "o_ts": AT.replace(microsecond=891000), "o_time": dt.time(12, 34, 56, 123000),
      "o_flag": False, "o_micros": dt.datetime(1969, 12, 31, 23, 59, 59, 999999)}),
    # NanoTimestamp, NanoTime, ZonedTimestamp-like text on a plain column, VariableScaleDecimal
    ({"o_orderkey": 3, "o_totalprice": {"scale": 3, "value": unscaled_bytes(Decimal("0.120"), 3)},
      "o_orderdate": "2199-12-31", "o_ts": micros(AT) * 1000 + 789, "o_time": 45_296_123_456_789},
     [field("o_orderkey", "int64"),
      field("o_totalprice", "struct", "io.debezium.data.VariableScaleDecimal"),
      field("o_orderdate", "string"), field("o_ts", "int64", "io.debezium.time.NanoTimestamp"),
      field("o_time", "int64", "io.debezium.time.NanoTime")],
     {"o_totalprice": Decimal("0.12"), "o_orderdate": dt.date(2199, 12, 31), "o_ts": AT,
      "o_time": dt.time(12, 34, 56, 123456)}),
    # ZonedTimestamp (to UTC), Connect Timestamp, decimal.handling.mode=string
    ({"o_orderkey": 4, "o_totalprice": "100.50", "o_orderdate": 10440,
      "o_ts": "2026-03-04T07:06:07.891234+02:00", "o_micros": micros(AT) // 1000},
     [field("o_orderkey", "int64"), field("o_totalprice", "string"),
      field("o_orderdate", "int32", "io.debezium.time.Date"),
      field("o_ts", "string", "io.debezium.time.ZonedTimestamp"),
      field("o_micros", "int64", "org.apache.kafka.connect.data.Timestamp")],
     {"o_totalprice": Decimal("100.50"), "o_orderdate": dt.date(1998, 8, 2), "o_ts": AT,
      "o_micros": AT.replace(microsecond=891000)}),
    # no schema (schemas.enable=false): precise bytes with the declared scale, µs by magnitude,
    # µs time, the declared encoding for a timestamp near the epoch
    ({"o_orderkey": 5, "o_totalprice": unscaled_bytes(Decimal("9999999999999.99"), 2),
      "o_orderdate": 10440, "o_ts": micros(AT), "o_time": 1, "o_flag": True, "o_micros": 5},
     None,
     {"o_totalprice": Decimal("9999999999999.99"), "o_orderdate": dt.date(1998, 8, 2),
      "o_ts": AT, "o_time": dt.time(0, 0, 0, 1), "o_flag": True,
      "o_micros": dt.datetime(1970, 1, 1, 0, 0, 0, 5)}),
    # no schema: decimal.handling.mode string and double; ms and ns by magnitude; ISO offset
    ({"o_orderkey": 6, "o_totalprice": "0.10", "o_ts": micros(AT) // 1000, "o_orderdate": "1998-08-02"},
     None, {"o_totalprice": Decimal("0.10"), "o_ts": AT.replace(microsecond=891000),
            "o_orderdate": dt.date(1998, 8, 2)}),
    ({"o_orderkey": 7, "o_totalprice": 42.25, "o_ts": micros(AT) * 1000},
     None, {"o_totalprice": Decimal("42.25"), "o_ts": AT}),
    ({"o_orderkey": 8, "o_totalprice": unscaled_bytes(Decimal("0.00"), 2),
      "o_ts": "2026-03-04T05:06:07.891234Z"},
     None, {"o_totalprice": Decimal("0.00"), "o_ts": AT}),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_copy(tmp_path_factory.mktemp("project"), {"cdc_orders": EXTRA},
                        {"cdc_customer": {"sequence_by": "mysql"},
                         "cdc_lineitem": {"sequence_by": "sqlserver"}})


def write(wh: Warehouse, table: str, name: str, lines: list[str]) -> None:
    path = wh.landing / "cdc" / table / "2026-03-04" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_every_encoding_decodes_exactly_line_by_line(project: Path, tmp_path: Path) -> None:
    wh = Warehouse(tmp_path, project_dir=project)
    write(wh, "orders", "0001.jsonl",
          [line({"lsn": 100 + i}, after, schema) for i, (after, schema, _) in enumerate(ORDERS)])
    wh.dbt("run", *SILVER)
    columns = ["o_totalprice", "o_orderdate", "o_ts", "o_time", "o_flag", "o_bytes", "o_micros"]
    got = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in wh.sql(
        f"select o_orderkey, {', '.join(columns)} from bronze.cdc_orders")}
    for after, _, expected in ORDERS:
        key = after["o_orderkey"]
        assert {c: got[key][c] for c in expected} == expected, key
        assert all(got[key][c] is None for c in columns if c not in expected), key
    assert wh.one("select count(*) from bronze.cdc_orders where len(_undecoded_fields) > 0") == 0
    # and in silver, typed by the contract
    assert wh.one("select total_price from silver.orders where order_id = 1") == \
        Decimal("-12345678901.99")
    assert wh.one("select o_ts from silver.orders_history where order_id = 4") == AT


def test_undecodable_value_is_rescued_and_counted_never_a_silent_null(project: Path,
                                                                      tmp_path: Path) -> None:
    wh = Warehouse(tmp_path, project_dir=project)
    schema = [field("o_orderkey", "int64"), field("o_totalprice", "bytes", DECIMAL, scale="2")]
    write(wh, "orders", "0001.jsonl", [
        line({"lsn": 1}, {"o_orderkey": 1, "o_totalprice": "!!not base64!!",
                          "o_orderdate": 1, "o_orderstatus": "O", "o_orderpriority": "1-URGENT"},
             schema),
        line({"lsn": 2}, {"o_orderkey": 2, "o_totalprice": "12.5x", "o_orderdate": "yesterday",
                          "o_orderstatus": "O", "o_orderpriority": "1-URGENT"}, None),
        line({"lsn": 3}, {"o_orderkey": 3, "o_totalprice": None, "o_orderdate": 1,
                          "o_orderstatus": "O", "o_orderpriority": "1-URGENT"}, None),
    ])
    wh.dbt("run", *SILVER)
    rows = wh.sql("select o_orderkey, o_totalprice, _undecoded_fields, _rescued_data::varchar "
                  "from bronze.cdc_orders order by 1")
    assert rows[0][:3] == (1, None, ["o_totalprice"])
    assert json.loads(rows[0][3]) == {"o_totalprice": "!!not base64!!"}
    assert rows[1][:3] == (2, None, ["o_totalprice", "o_orderdate"])
    assert rows[2][:3] == (3, None, [])  # a null in the source is a null, not a failure
    assert wh.one("select failed_rows from silver.dq_expectation_results where model_name = "
                  "'orders' and expectation_name = 'source_values_decoded'") == 2
    # warn by default: the rows are kept (order 2 is dropped by order_date_present)
    assert wh.sql("select order_id from silver.orders order by 1") == [(1,), (3,)]


def test_sequence_by_mysql_and_sqlserver_positions(project: Path, tmp_path: Path) -> None:
    wh = Warehouse(tmp_path, project_dir=project)
    customer = {"c_custkey": 1, "c_nationkey": 1, "c_mktsegment": "BUILDING"}

    def mysql(file: str, pos: int, row: int, name: str) -> str:
        return line({"file": file, "pos": pos, "row": row}, {**customer, "c_name": name}, None)

    # files are read in name order: the newest change first
    write(wh, "customer", "0001.jsonl", [mysql("mysql-bin.1000000", 4, 0, "newest"),
                                         mysql("mysql-bin.999999", 88_000_000, 1, "middle")])
    write(wh, "customer", "0002.jsonl", [mysql("mysql-bin.999999", 88_000_000, 0, "oldest"),
                                         mysql("mysql-bin.1000000", 4, 0, "newest")])
    item = {"l_orderkey": 1, "l_linenumber": 1, "l_quantity": 1, "l_shipmode": "AIR"}

    def sqlserver(commit: str, change: str | None, serial: int, comment: str) -> str:
        return line({"commit_lsn": commit, "change_lsn": change, "event_serial_no": serial},
                    {**item, "l_comment": comment}, None)

    write(wh, "lineitem", "0001.jsonl", [
        sqlserver("0000002a:00000010:0002", "0000002a:00000010:0001", 2, "newest"),
        sqlserver("00000027:ffffffff:0001", None, 0, "snapshot"),
        sqlserver("0000002a:00000010:0002", "0000002a:00000010:0001", 1, "middle"),
        sqlserver("00000029:00000758:0005", "00000028:0000ffff:0003", 1, "oldest change"),
    ])
    wh.dbt("run", *SILVER)
    assert wh.sql("select customer_name from silver.customers_history order by _lsn") == [
        ("oldest",), ("middle",), ("newest",)]
    assert wh.one("select customer_name from silver.customers") == "newest"
    assert wh.sql("select comment from silver.order_lines_history order by _lsn") == [
        ("snapshot",), ("oldest change",), ("middle",), ("newest",)]
    assert wh.one("select count(*) from bronze.quarantine_landing") == 0
