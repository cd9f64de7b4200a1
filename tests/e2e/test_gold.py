"""Gold: the TPC-H reports equal DuckDB's published answers on day-0 data (the independent proof
that bronze -> silver -> gold loses and invents nothing), and after the default days the facts
and marts reconcile with silver and the truth, with point-in-time joins to the right versions."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import duckdb
import pytest
from oracles import QUERIES, answer, gold_reconciliation, same
from warehouse import Warehouse

from lakehouse.sources.generator import generate


@pytest.fixture(scope="module", params=[0.01, 0.1])
def day0(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """Day-0 data only (zero change days), built through gold."""
    sf = request.param
    root = tmp_path_factory.mktemp(f"day0-sf{sf}")
    generate(root / "generated", sf=sf, days=0, seed=1, log=lambda _: None)
    wh = Warehouse(root, root / "generated")
    wh.deliver()
    wh.dbt("build")
    return sf, wh


@pytest.mark.parametrize("query", QUERIES)
def test_tpch_reports_equal_published_answers(day0: tuple, query: int) -> None:
    sf, wh = day0
    header, expected = answer(sf, query)
    rows = wh.sql(f"select * from gold.rpt_tpch_q{query:02d}")
    assert len(rows) == len(expected), (query, header)
    assert len(expected) > 0 or query == 18
    for want, got in zip(expected, rows, strict=True):
        assert len(want) == len(got), header
        mismatches = [(h, w, g) for h, w, g in zip(header, want, got, strict=True)
                      if not same(w, g)]
        assert mismatches == [], (query, mismatches)


@pytest.fixture(scope="module")
def seven_days(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Warehouse:
    wh = Warehouse(tmp_path_factory.mktemp("gold-7-days"), generated)
    for day in (0, 3, 7):  # three runs: increments must reach the facts
        wh.deliver(day)
        wh.dbt("build")
    return wh


def test_fact_totals_reconcile_with_silver_and_truth(seven_days: Warehouse) -> None:
    assert {name: pair for name, pair in gold_reconciliation(seven_days).items()
            if pair[0] != pair[1]} == {}


def _event(table: str, op: str, lsn: int, ts: str, before: dict | None, after: dict | None) -> str:
    ts_ms = int(dt.datetime.fromisoformat(ts).replace(tzinfo=dt.UTC).timestamp() * 1000)
    return json.dumps({"before": before, "after": after, "op": op, "ts_ms": ts_ms,
                       "source": {"ts_ms": ts_ms, "lsn": lsn, "txId": lsn, "table": table}})


def test_point_in_time_join_picks_the_version_valid_at_the_order_date(tmp_path: Path) -> None:
    """A customer changes segment on day 1; an order placed on day 2 joins the new version,
    the customer's old orders (years before day 0) join the first version."""
    generate(tmp_path / "generated", sf=0.01, days=0, seed=1, log=lambda _: None)
    wh = Warehouse(tmp_path, tmp_path / "generated")
    wh.deliver()
    customer = duckdb.sql(
        f"select * from '{tmp_path}/generated/landing/full/customer/*/*.parquet' "
        "where c_custkey = (select min(o_custkey) from "
        f"'{tmp_path}/generated/landing/full/orders/*/*.parquet')").fetchall()[0]
    columns = ["c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal",
               "c_mktsegment", "c_comment"]
    before = {c: (str(v) if isinstance(v, decimal.Decimal) else v)
              for c, v in zip(columns, customer, strict=True)}
    new_segment = "MACHINERY" if before["c_mktsegment"] != "MACHINERY" else "BUILDING"
    after = {**before, "c_mktsegment": new_segment}
    order = {"o_orderkey": 9_000_001, "o_custkey": customer[0], "o_orderstatus": "O",
             "o_totalprice": 1000.0, "o_orderdate": "1998-08-04", "o_orderpriority": "2-HIGH",
             "o_clerk": "Clerk#000000001", "o_shippriority": 0, "o_comment": "after the change"}
    line = {"l_orderkey": 9_000_001, "l_partkey": 1, "l_suppkey": 2, "l_linenumber": 1,
            "l_quantity": 1.0, "l_extendedprice": 1000.0, "l_discount": 0.0, "l_tax": 0.0,
            "l_returnflag": "N", "l_linestatus": "O", "l_shipdate": "1998-08-05",
            "l_commitdate": "1998-08-20", "l_receiptdate": "1998-08-06",
            "l_shipinstruct": "NONE", "l_shipmode": "AIR", "l_comment": "after"}
    for table, text in {
        "customer": _event("customer", "u", 10, "1998-08-03 12:00:00", before, after),
        "orders": _event("orders", "c", 20, "1998-08-04 09:00:00", None, order),
        "lineitem": _event("lineitem", "c", 21, "1998-08-04 09:00:00", None, line),
    }.items():
        path = wh.landing / "cdc" / table / "1998-08-04" / "0001.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text(text + "\n")
    wh.dbt("build")
    segments = wh.sql(f"""
        select orders.order_id > 9000000 as is_new, customers.market_segment, count(*)
        from gold.fct_orders as orders
        join gold.dim_customer as customers on orders.customer_key = customers.customer_key
        where orders.customer_id = {customer[0]}
        group by all order by all""")
    assert segments[-1] == (True, new_segment, 1)
    assert [(new, segment) for new, segment, _ in segments[:-1]] == [
        (False, before["c_mktsegment"])]
    assert wh.one("select count(*) from gold.dim_customer "
                  f"where customer_id = {customer[0]}") == 2
    assert wh.sql("select d.market_segment from gold.fct_order_line as f join gold.dim_customer "
                  "as d on f.customer_key = d.customer_key where f.order_id = 9000001") == [
        (new_segment,)]


def test_deletes_and_updates_reach_the_facts(seven_days: Warehouse) -> None:
    wh = seven_days
    assert wh.one("select count(*) from gold.fct_order_line where (order_id, line_number) not in "
                  "(select (order_id, line_number) from silver.order_lines)") == 0
    assert wh.one("""select count(*) from gold.fct_order_line as f join silver.order_lines as l
                     using (order_id, line_number)
                     where f.line_status <> l.line_status or f.return_flag <> l.return_flag""") == 0
    assert wh.one("""select count(*) from gold.fct_orders as f join silver.orders as o
                     using (order_id) where f.order_status <> o.order_status""") == 0
