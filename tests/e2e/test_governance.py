"""Nothing leaked, never blocked by the source: governance follows column lineage (no personal
value of the source reaches the serving copy; a gold column derived from PII is tagged or
declared not PII), `lakehouse lineage` answers for every gold column down to the landing
fields, and sources whose tables disagree build, warn and publish."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from warehouse import Served

import lakehouse.sources.generator.rates as r
from lakehouse.build.lineage import Lineage, governance_violations, masked_columns

# full runs with publication

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
PII_FIELDS = {"customer": ("c_name", "c_address", "c_phone"),
              "supplier": ("s_address", "s_phone")}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, generated: Path,
              published_all_days: Path) -> Served:
    return Served.copy(published_all_days, tmp_path_factory.mktemp("governance"), generated)


def lineage_of(wh: Served) -> Lineage:
    return Lineage.from_json(json.loads((wh.root / "target" / "column_lineage.json").read_text()))


def source_pii(wh: Served) -> list[str]:
    """Every personal value the source sent: day-0 extracts and every CDC row image."""
    con = duckdb.connect()
    values: set[str] = set()
    for table, fields in PII_FIELDS.items():
        for field in fields:
            values |= {row[0] for row in con.execute(
                f"select {field} from read_parquet('{wh.landing}/full/{table}/*/*.parquet')"
            ).fetchall()}
    for path in (wh.landing / "cdc" / "customer").glob("*/*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                event = event.get("payload", event)
                for image in (event.get("before"), event.get("after")):
                    for field in PII_FIELDS["customer"]:
                        if isinstance(image, dict) and isinstance(image.get(field), str):
                            values.add(image[field])
    return sorted(v for v in values if v)


def clear_values_found(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> dict:
    found = {}
    for relation, column in tables:
        hits = con.execute(f'select count(*) from {relation} where "{column}" in '
                           "(select v from pii)").fetchone()[0]
        if hits:
            found[f"{relation}.{column}"] = hits
    return found


def test_no_personal_value_of_the_source_reaches_the_serving_copy(published: Served) -> None:
    values = source_pii(published)
    assert len(values) > 1000
    con = duckdb.connect()
    con.execute("create table pii as select unnest(?::varchar[]) as v", [values])
    con.execute(f"attach '{published.serving / 'lakehouse.duckdb'}' as serving (read_only)")
    con.execute(f"attach '{published.db}' as warehouse (read_only)")
    text_columns = ("select database_name || '.' || schema_name || '.\"' || table_name || '\"', "
                    "column_name from duckdb_columns() where database_name = ? "
                    "and data_type = 'VARCHAR'")
    served = con.execute(text_columns, ["serving"]).fetchall()
    assert len(served) > 50
    assert clear_values_found(con, served) == {}
    parquet = []
    for path in sorted((published.serving / "parquet").glob("*.parquet")):
        for (column,) in con.execute(f"select name from parquet_schema('{path}') "
                                     "where type = 'BYTE_ARRAY'").fetchall():
            parquet.append((f"read_parquet('{path}')", column))
    assert len(parquet) > 30
    assert clear_values_found(con, parquet) == {}
    # the scan would see them: the warehouse's gold has them in clear
    gold = [row for row in con.execute(text_columns, ["warehouse"]).fetchall()
            if ".gold." in row[0]]
    found = clear_values_found(con, gold)
    assert {"warehouse.gold.\"dim_customer\".customer_name", "warehouse.gold.\"dim_supplier\".phone",
            "warehouse.gold.\"dim_supplier\".address"} <= set(found)


def test_governance_follows_lineage(published: Served) -> None:
    lineage = lineage_of(published)
    assert governance_violations(lineage) == []
    # dim_supplier.phone is derived from the source's s_phone, tagged at the landing
    assert "landing.full_supplier.s_phone" in lineage.pii_sources("gold.dim_supplier.phone")
    # untag it: a governance error naming the column; masked anyway, by hash
    lineage.meta.pop("gold.dim_supplier.phone")
    problems = governance_violations(lineage)
    assert len(problems) == 1 and problems[0].startswith("gold.dim_supplier.phone derives from")
    assert masked_columns(lineage)["gold.dim_supplier.phone"] == "hash"
    # declared not PII: with a reason it passes (and is not masked); without, it does not
    lineage.meta["gold.dim_supplier.phone"] = {"pii": False}
    assert len(governance_violations(lineage)) == 1
    lineage.meta["gold.dim_supplier.phone"] = {"pii": False, "pii_reason": "a switchboard number"}
    assert governance_violations(lineage) == []
    assert "gold.dim_supplier.phone" not in masked_columns(lineage)
    # the serving copy's masks are the tagged columns and follow the lineage
    masks = {(t, c): p for t, c, p in published.served("select * from governance.column_masks")}
    assert masks[("dim_supplier", "phone")] == "redact"
    assert masks == {tuple(k.split(".")[1:]): v for k, v in masked_columns(lineage_of(published)).items()}


def test_lineage_answers_for_every_gold_column(published: Served) -> None:
    lineage = lineage_of(published)
    gold = sorted(c for c in lineage.upstream if c.startswith("gold."))
    assert len(gold) > 150
    tables = sorted({c.rsplit(".", 1)[0] for c in gold})
    printed = ""
    for table in tables:
        result = subprocess.run([str(LAKEHOUSE), "lineage", table], env=published.env,
                                capture_output=True, text=True, check=True)
        printed += result.stdout
    for column in gold:
        assert f"\n{column}" in f"\n{printed}", column
        assert lineage.upstream[column], column  # every gold column has its inputs
    # down to the landing fields
    phone = subprocess.run([str(LAKEHOUSE), "lineage", "gold.dim_supplier.phone"],
                           env=published.env, capture_output=True, text=True, check=True).stdout
    assert "silver.suppliers_history.phone" in phone and "landing.full_supplier.s_phone" in phone
    revenue = subprocess.run([str(LAKEHOUSE), "lineage", "gold.fct_order_line.net_revenue"],
                             env=published.env, capture_output=True, text=True, check=True).stdout
    assert "landing.cdc_lineitem.l_extendedprice" in revenue
    assert "landing.full_lineitem.l_discount" in revenue
    wrong = subprocess.run([str(LAKEHOUSE), "lineage", "gold.no_such_table.x"],
                           env=published.env, capture_output=True, text=True)
    assert wrong.returncode == 1 and "gold.dim_customer" in wrong.stderr


def test_thousands_of_orders_disagreeing_with_their_lines_build_warn_and_publish(
        tmp_path: Path, generated: Path) -> None:
    wh = Served(tmp_path, generated)
    wh.deliver(1)
    # the source flips the status of 3,000 orders (and their totals) without touching lines,
    # committed after every change of day 1 (a sequence and commit time after them)
    con = duckdb.connect()
    rows = con.execute(f"""
        select o_orderkey, o_custkey, o_orderstatus, o_totalprice::double, o_orderdate,
               o_orderpriority, o_clerk, o_shippriority, o_comment
        from read_parquet('{wh.landing}/full/orders/{r.DAY0}/*.parquet')
        order by o_orderkey limit 3000""").fetchall()
    lines = []
    for i, (key, cust, status, total, date, priority, clerk, ship, comment) in enumerate(rows):
        after = {"o_orderkey": key, "o_custkey": cust,
                 "o_orderstatus": "O" if status == "F" else "F", "o_totalprice": total + 1000,
                 "o_orderdate": (date - dt.date(1970, 1, 1)).days, "o_orderpriority": priority,
                 "o_clerk": clerk, "o_shippriority": ship, "o_comment": comment}
        lines.append(json.dumps({"before": None, "after": after, "op": "u",
                                 "source": {"lsn": 10**12 + i, "ts_ms": 902_188_800_000 + i}}))
    day = r.DAY0 + dt.timedelta(days=1)
    path = wh.landing / "cdc" / "orders" / day.isoformat() / "0900.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    result = wh.run()
    assert "nothing published" not in result.stdout
    assert wh.served("select count(*) from ops.published") == [(1,)]
    status, models, published = wh.sql("select status, models, published from ops.run_history")[0]
    assert (status, published) == ("success", True)
    warned = {m["node"].split(".")[-1] for m in json.loads(models) if m["status"] == "warn"}
    assert {"assert_order_status_matches_lines", "assert_order_total_matches_lines"} <= warned
