"""Silver against the generator's truth: CDC applied exactly (current state and history), in one
run and one run per day, time travel, expectations and their actions."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warehouse import Warehouse

from lakehouse.config import PROJECT_DIR

# every day built once and day by day: a dozen dbt builds
pytestmark = pytest.mark.slow
PROOF = pytest.mark.proof  # run again on the lake target (testsuite.py)

NOT_GOLD = ("--exclude", "path:models/gold")

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
RULE_TO_EXPECTATION = {
    "negative_quantity": "positive_quantity",
    "unknown_ship_mode": "valid_ship_mode",
    "ship_before_order": "ship_date_not_before_order_date",
}


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Warehouse:
    """Every day delivered, then one build."""
    wh = Warehouse(tmp_path_factory.mktemp("one-run"), generated)
    wh.deliver()
    wh.dbt("build", *NOT_GOLD)
    return wh


@pytest.fixture(scope="module")
def day_by_day(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Warehouse:
    """Each day's files delivered on their arrival day, one build per day."""
    wh = Warehouse(tmp_path_factory.mktemp("day-by-day"), generated)
    for day in range(8):
        wh.deliver(day)
        wh.dbt("build", *NOT_GOLD)
    return wh


# the lake pass distributes by these groups (--dist loadgroup): each warehouse is built once,
# on one worker, and the two build side by side
ONE_RUN = pytest.mark.xdist_group("silver_one_run")
DAY_BY_DAY = pytest.mark.xdist_group("silver_day_by_day")


@pytest.fixture(params=[pytest.param("one_run", marks=ONE_RUN),
                        pytest.param("day_by_day", marks=DAY_BY_DAY)])
def wh(request: pytest.FixtureRequest) -> Warehouse:
    return request.getfixturevalue(request.param)


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


@PROOF
@ONE_RUN
def test_every_silver_entity_is_checked_against_truth(one_run: Warehouse) -> None:
    """The entities these tests compare with the truth are the project's: every silver history
    model, its current-state model, and the landing table it is fed from (its truth table)."""
    manifest = json.loads((one_run.root / "target" / "manifest.json").read_text())
    nodes, sources = manifest["nodes"], manifest["sources"]
    found = {}
    for node in nodes.values():
        if node["resource_type"] == "model" and node["schema"] == "silver" \
                and node["name"].endswith("_history"):
            # the landing tables of the bronze feeds it reads (cdc_customer, full_customer, ...)
            bronze = [p for p in node["depends_on"]["nodes"]
                      if nodes.get(p, {}).get("schema") == "bronze"]
            feeds = {sources[s]["name"].split("_", 1)[1]
                     for parent in bronze for s in nodes[parent]["depends_on"]["nodes"]
                     if s in sources}
            assert len(feeds) == 1, f"{node['name']} reads the landing tables {feeds}"
            found[feeds.pop()] = (node["name"].removesuffix("_history"), node["name"])
    assert found == {table: (current, history) for table, (current, history, _)
                     in ENTITIES.items()}


@PROOF
@pytest.mark.parametrize("entity", ENTITIES)
def test_current_state_equals_truth_except_rule_breakers(wh: Warehouse, entity: str) -> None:
    assert truth_differences(wh, entity)["current"] == ([], [])
    assert wh.one(f"select count(*) from silver.{ENTITIES[entity][0]}") > 0


@PROOF
def test_quarantine_holds_exactly_the_rule_breakers_with_expectation_names(wh: Warehouse) -> None:
    violations = wh.sql(f"select l_orderkey, l_linenumber, rule "
                        f"from {truth(wh, 'rule_violations.parquet')}")
    assert len(violations) > 0
    expected: dict[tuple, set[str]] = {}
    for order_id, line_number, rule in violations:
        expected.setdefault((order_id, line_number), set()).add(RULE_TO_EXPECTATION[rule])
    latest = wh.sql("""
        select order_id, line_number, _failed_expectations from silver.quarantine_order_lines
        qualify row_number() over (partition by order_id, line_number
                                   order by _quarantined_at desc, _lsn desc) = 1""")
    drops = set(RULE_TO_EXPECTATION.values())
    assert {(o, n): set(names) & drops for o, n, names in latest} == expected
    assert wh.one("select count(*) from silver.order_lines where (order_id, line_number) in "
                  f"(select (l_orderkey, l_linenumber) from {truth(wh, 'rule_violations.parquet')})"
                  ) == 0


@PROOF
@pytest.mark.parametrize("entity", ENTITIES)
def test_history_equals_truth_history(wh: Warehouse, entity: str) -> None:
    assert truth_differences(wh, entity)["history"] == ([], [])


def compiled(wh: Warehouse, sql: str) -> str:
    result = wh.dbt("compile", "--inline", sql, "--quiet")
    return (result.output or "").strip()


@PROOF
@ONE_RUN
def test_as_of_equals_truth_state_at_several_times(one_run: Warehouse) -> None:
    wh = one_run
    deletes = wh.sql(f"select valid_from from {truth(wh, 'history/customer.parquet')} "
                     "where is_deleted order by valid_from")
    changes = wh.sql(f"select valid_from from {truth(wh, 'history/orders.parquet')} "
                     "where valid_from > '1998-08-02' order by valid_from")
    times = [
        dt.datetime(1998, 8, 2, 12),  # after day 0, before any change
        dt.datetime(1998, 8, 5, 13, 30),  # between changes
        deletes[0][0] + dt.timedelta(seconds=1),  # just after a delete
        changes[len(changes) // 2][0],  # exactly at a change (valid_from is inclusive)
        dt.datetime(1998, 8, 20),  # after the last change
    ]
    for entity in ("customer", "orders", "part"):
        _, history, columns = ENTITIES[entity]
        for at in times:
            sql = compiled(wh, f"select {', '.join(columns.values())} from "
                               f"{{{{ as_of(ref('{history}'), \"timestamp '{at}'\") }}}} as t")
            expected = (f"select {', '.join(f'{t} as {s}' for t, s in columns.items())} "
                        f"from {truth(wh, f'history/{entity}.parquet')} "
                        f"where valid_from <= '{at}' and (valid_to is null or valid_to > '{at}') "
                        "and not is_deleted")
            assert differences(wh, expected, sql) == ([], []), (entity, at)


@PROOF
@ONE_RUN
def test_dq_results_count_the_injected_defects(one_run: Warehouse) -> None:
    wh = one_run
    failed = dict(wh.sql("select expectation_name, sum(failed_rows) from "
                         "silver.dq_expectation_results where model_name = 'order_lines' group by 1"))
    rules = dict(wh.sql(f"select rule, count(*) from {truth(wh, 'rule_violations.parquet')} "
                        "group by rule"))
    for rule, expectation in RULE_TO_EXPECTATION.items():
        assert failed[expectation] == rules[rule] > 0
    checked = wh.sql("select distinct rows_checked from silver.dq_expectation_results "
                     "where model_name = 'order_lines'")
    assert checked == [(wh.one(f"select count(*) from {truth(wh, 'final/lineitem.parquet')}"),)]


def fingerprint(wh: Warehouse, tables: list[str]) -> dict[str, tuple]:
    return {t: wh.sql(f"select count(*), sum(hash(t)) from silver.{t} as t")[0] for t in tables}


@PROOF
@DAY_BY_DAY
def test_rerun_without_new_data_changes_nothing(day_by_day: Warehouse) -> None:
    tables = [t for e in ENTITIES.values() for t in e[:2]]
    tables += ["web_events", "quarantine_order_lines"]
    before = fingerprint(day_by_day, tables)
    runs = day_by_day.one("select count(distinct run_id) from silver.dq_expectation_results")
    day_by_day.dbt("build", *NOT_GOLD)
    assert fingerprint(day_by_day, tables) == before
    latest = day_by_day.sql("""select distinct rows_checked from silver.dq_expectation_results
                               where run_at = (select max(run_at) from silver.dq_expectation_results)""")
    assert latest == [(0,)]  # every run appends its counts, here of nothing new
    assert day_by_day.one(
        "select count(distinct run_id) from silver.dq_expectation_results") == runs + 1


def test_expectation_actions_warn_and_fail(tmp_path: Path, generated: Path) -> None:
    wh = Warehouse(tmp_path, generated)
    wh.deliver(1)
    warn = json.dumps({"expectation_actions": {"order_lines.valid_ship_mode": "warn"}})
    wh.dbt("build", *NOT_GOLD, "--vars", warn)
    # warn: the row is kept and counted
    kept = wh.one("select count(*) from silver.order_lines where ship_mode = 'DRONE'")
    assert kept == wh.one("select sum(failed_rows) from silver.dq_expectation_results "
                          "where expectation_name = 'valid_ship_mode' and action = 'warn'") > 0
    assert wh.one("select count(*) from silver.quarantine_order_lines "
                  "where list_contains(_failed_expectations, 'valid_ship_mode')") == 0
    # fail: the run stops, naming the expectation with a sample, and commits nothing of the model
    before = fingerprint(wh, ["order_lines"])
    wh.deliver(3)  # (day 2's last lineitem file arrives late, on day 4)
    fail = json.dumps({"expectation_actions": {"order_lines.positive_quantity": "fail"}})
    result = wh.dbt("build", *NOT_GOLD, "--vars", fail, check=False)
    assert result.returncode != 0
    assert "expectation(s) positive_quantity with action fail violated by 1 row(s) of order_lines" \
        in result.output
    assert '"quantity":-' in result.output.replace(" ", "")  # the sample shows the row
    assert fingerprint(wh, ["order_lines"]) == before
    # the default (drop) then applies the day: the bad line quarantined, the rest loaded
    wh.dbt("build", *NOT_GOLD)
    assert fingerprint(wh, ["order_lines"]) != before
    assert wh.one("select count(*) from silver.order_lines where quantity <= 0") == 0


@ONE_RUN
def test_time_travel_command_prints_the_state(one_run: Warehouse) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lakehouse"), "time-travel", "--table",
         "customers_history", "--as-of", "1998-08-02 12:00", "--where", "customer_id = 1",
         "--json"],
        cwd=PROJECT_DIR, env=one_run.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout[result.stdout.index("{"):])["show"]
    assert [r["customer_id"] for r in rows] == [1]
