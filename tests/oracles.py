"""The independent oracles the end-to-end proofs compare with: the generator's truth (silver's
current state and history per entity) and DuckDB's published TPC-H answers (gold's reports)."""

from __future__ import annotations

import datetime as dt
import decimal

import duckdb
from warehouse import Warehouse

# truth table -> (silver current table, silver history table, truth column -> silver column):
# the specification of silver's names (the README's), kept here as the oracle; which entities
# silver has is the manifest's (test_every_silver_entity_is_checked_against_truth)
ENTITIES = {
    "customer": ("customers", "customers_history", {
        "c_custkey": "customer_id", "c_name": "customer_name", "c_address": "address",
        "c_nationkey": "nation_id", "c_phone": "phone", "c_acctbal": "account_balance",
        "c_mktsegment": "market_segment", "c_comment": "comment"}),
    "orders": ("orders", "orders_history", {
        "o_orderkey": "order_id", "o_custkey": "customer_id", "o_orderstatus": "order_status",
        "o_totalprice": "total_price", "o_orderdate": "order_date",
        "o_orderpriority": "order_priority", "o_clerk": "clerk", "o_shippriority": "ship_priority",
        "o_comment": "comment"}),
    "lineitem": ("order_lines", "order_lines_history", {
        "l_orderkey": "order_id", "l_linenumber": "line_number", "l_partkey": "part_id",
        "l_suppkey": "supplier_id", "l_quantity": "quantity", "l_extendedprice": "extended_price",
        "l_discount": "discount", "l_tax": "tax", "l_returnflag": "return_flag",
        "l_linestatus": "line_status", "l_shipdate": "ship_date", "l_commitdate": "commit_date",
        "l_receiptdate": "receipt_date", "l_shipinstruct": "ship_instructions",
        "l_shipmode": "ship_mode", "l_comment": "comment"}),
    "part": ("parts", "parts_history", {
        "p_partkey": "part_id", "p_name": "part_name", "p_mfgr": "manufacturer",
        "p_brand": "brand", "p_type": "part_type", "p_size": "size", "p_container": "container",
        "p_retailprice": "retail_price", "p_comment": "comment"}),
    "supplier": ("suppliers", "suppliers_history", {
        "s_suppkey": "supplier_id", "s_name": "supplier_name", "s_address": "address",
        "s_nationkey": "nation_id", "s_phone": "phone", "s_acctbal": "account_balance",
        "s_comment": "comment"}),
    "partsupp": ("part_suppliers", "part_suppliers_history", {
        "ps_partkey": "part_id", "ps_suppkey": "supplier_id", "ps_availqty": "available_quantity",
        "ps_supplycost": "supply_cost", "ps_comment": "comment"}),
}


def truth(wh: Warehouse, name: str) -> str:
    return f"'{wh.generated}/truth/{name}'"


def differences(wh: Warehouse, expected: str, actual: str) -> tuple[list, list]:
    missing = wh.sql(f"select * from ({expected}) except all select * from ({actual})")
    extra = wh.sql(f"select * from ({actual}) except all select * from ({expected})")
    return missing[:5], extra[:5]


def truth_differences(wh: Warehouse, entity: str) -> dict[str, tuple[list, list]]:
    """What silver's current state (less the rule breakers) and history of `entity` miss and add
    against the truth's final state and history."""
    table, history, columns = ENTITIES[entity]
    current = (f"select {', '.join(f'{t} as {s}' for t, s in columns.items())} "
               f"from {truth(wh, f'final/{entity}.parquet')}")
    if entity == "lineitem":
        current += (f" where (l_orderkey, l_linenumber) not in (select (l_orderkey, l_linenumber)"
                    f" from {truth(wh, 'rule_violations.parquet')})")
    validity = ["valid_from", "valid_to", "is_deleted"]
    versions = (f"select {', '.join([f'{t} as {s}' for t, s in columns.items()] + validity)} "
                f"from {truth(wh, f'history/{entity}.parquet')}")
    return {
        "current": differences(wh, current,
                               f"select {', '.join(columns.values())} from silver.{table}"),
        "history": differences(wh, versions, f"select {', '.join([*columns.values(), *validity])}"
                                             f" from silver.{history}"),
    }


QUERIES = (1, 3, 4, 5, 6, 10, 12, 14, 18)


def answer(sf: float, query: int) -> tuple[list[str], list[list[str]]]:
    con = duckdb.connect()
    con.load_extension("tpch")
    text = con.execute("select answer from tpch_answers() where query_nr = ? and scale_factor = ?",
                       [query, sf]).fetchone()[0]
    lines = [line for line in text.splitlines() if line]
    return lines[0].split("|"), [line.split("|") for line in lines[1:]]


def same(expected: str, actual: object) -> bool:
    """Exact on keys and text, to the cent on money and other decimals."""
    if actual is None:
        return expected in ("", "NULL")
    if isinstance(actual, (float, decimal.Decimal)):
        return round(decimal.Decimal(expected), 2) == round(decimal.Decimal(str(actual)), 2)
    if isinstance(actual, dt.date):
        return expected == actual.isoformat()
    return expected == str(actual)


def report_mismatches(sf: float, query: int, rows: list[tuple]) -> list:
    """How TPC-H query `query`'s report rows differ from the published answer at `sf`: the
    row counts, or the first (column, expected, actual) that differ; [] when equal."""
    header, expected = answer(sf, query)
    if len(rows) != len(expected):
        return [("rows", len(expected), len(rows))]
    return [(h, w, g) for want, got in zip(expected, rows, strict=True)
            for h, w, g in zip(header, want, got, strict=True) if not same(w, g)][:3]


def gold_reconciliation(wh: Warehouse) -> dict[str, tuple[tuple, tuple]]:
    """Pairs of totals that must be equal after any days of changes: gold's facts against silver
    and the truth (less the rule breakers), the marts against the facts."""
    truth = wh.generated / "truth"
    fact = wh.sql("select count(*), sum(quantity), sum(extended_price), sum(net_revenue) "
                  "from gold.fct_order_line")[0]
    mart = wh.sql("select sum(orders), sum(order_lines), sum(units), sum(net_revenue) "
                  "from gold.mart_sales_daily")[0]
    return {
        "order lines: fact vs silver": (fact, wh.sql(
            "select count(*), sum(quantity), sum(extended_price), "
            "sum(extended_price * (1 - discount)) from silver.order_lines")[0]),
        "order lines: fact vs truth": ((fact[0], fact[3]), wh.sql(f"""
            select count(*), sum(l_extendedprice * (1 - l_discount))
            from '{truth}/final/lineitem.parquet'
            where (l_orderkey, l_linenumber) not in
                (select (l_orderkey, l_linenumber) from '{truth}/rule_violations.parquet')""")[0]),
        "orders: fact vs truth": (
            wh.sql("select count(*), sum(total_price) from gold.fct_orders")[0],
            wh.sql(f"select count(*), sum(o_totalprice) from '{truth}/final/orders.parquet'")[0]),
        "sales mart vs fact": (mart[1:], (fact[0], fact[1], fact[3])),
        "customer lifetime mart vs fact": (
            wh.sql("select sum(orders), sum(net_revenue) from gold.mart_customer_lifetime")[0],
            wh.sql("select count(*), sum(net_revenue) from gold.fct_orders where customer_id in "
                   "(select customer_id from gold.dim_customer where is_current)")[0]),
    }
