"""Column lineage's reuse of the previous build's traces: a model whose compiled SQL, columns,
parents and catalog are unchanged keeps its trace; any change traces it again."""

from __future__ import annotations

import copy
from typing import Any

from lakehouse.build.lineage import Lineage, build

SCHEMA = {"db": {"silver": {"orders": {"order_id": "INTEGER", "total": "DECIMAL"}},
                 "gold": {"sales": {"order_id": "INTEGER", "amount": "DECIMAL"}}}}


def node(name: str, schema: str, sql: str, parents: list[str]) -> dict[str, Any]:
    return {"resource_type": "model", "name": name, "alias": name, "schema": schema,
            "database": "db", "columns": {}, "compiled_code": sql,
            "depends_on": {"nodes": parents}}


def manifest(sales_sql: str) -> dict[str, Any]:
    return {"sources": {}, "nodes": {
        "model.p.orders": node("orders", "silver", "select 1 as order_id, 2.0 as total", []),
        "model.p.sales": node("sales", "gold", sales_sql, ["model.p.orders"])}}


SALES = 'select order_id, total as amount from "db"."silver"."orders"'


def test_an_unchanged_model_keeps_its_trace_and_a_changed_one_is_traced_again() -> None:
    first = build(manifest(SALES), SCHEMA)
    assert first.upstream["gold.sales.amount"] == ["silver.orders.total"]
    assert first.method["gold.sales"] == "sqlglot"
    # a previous artifact whose trace of gold.sales differs: taken as it is while the digest
    # holds (it is not traced again) ...
    previous = Lineage.from_json(copy.deepcopy(first.to_json()))
    previous.upstream["gold.sales.amount"] = ["silver.orders.marker"]
    assert build(manifest(SALES), SCHEMA, previous).upstream["gold.sales.amount"] == [
        "silver.orders.marker"]
    # ... and traced again when the model's SQL, or the catalog, changes
    changed = build(manifest(SALES.replace("total as amount", "order_id * total as amount")),
                    SCHEMA, previous)
    assert changed.upstream["gold.sales.amount"] == ["silver.orders.order_id",
                                                     "silver.orders.total"]
    wider = copy.deepcopy(SCHEMA)
    wider["db"]["silver"]["orders"]["status"] = "VARCHAR"
    assert build(manifest(SALES), wider, previous).upstream["gold.sales.amount"] == [
        "silver.orders.total"]
