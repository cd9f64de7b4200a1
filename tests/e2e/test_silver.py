"""Silver against the generator's truth: CDC applied exactly (current state and history), in one
run and one run per day, time travel, expectations and their actions."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from oracles import ENTITIES, differences, truth, truth_differences
from warehouse import Served, Warehouse

from lakehouse.config import PROJECT_DIR

NOT_GOLD = ("--exclude", "path:models/gold")

RULE_TO_EXPECTATION = {
    "negative_quantity": "positive_quantity",
    "unknown_ship_mode": "valid_ship_mode",
    "ship_before_order": "ship_date_not_before_order_date",
}


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory, generated: Path,
            published_all_days: Path) -> Warehouse:
    """Every day delivered, then one run (a copy of the session's)."""
    return Served.copy(published_all_days, tmp_path_factory.mktemp("one-run"), generated)


@pytest.fixture(scope="module")
def day_by_day(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> Warehouse:
    """Each day's files delivered on their arrival day, one build per day."""
    wh = Warehouse(tmp_path_factory.mktemp("day-by-day"), generated)
    for day in range(8):
        wh.deliver(day)
        wh.dbt("build", *NOT_GOLD)
    return wh


@pytest.fixture(params=["one_run", "day_by_day"])
def wh(request: pytest.FixtureRequest) -> Warehouse:
    return request.getfixturevalue(request.param)


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


@pytest.mark.parametrize("entity", ENTITIES)
def test_current_state_equals_truth_except_rule_breakers(wh: Warehouse, entity: str) -> None:
    assert truth_differences(wh, entity)["current"] == ([], [])
    assert wh.one(f"select count(*) from silver.{ENTITIES[entity][0]}") > 0


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


@pytest.mark.parametrize("entity", ENTITIES)
def test_history_equals_truth_history(wh: Warehouse, entity: str) -> None:
    assert truth_differences(wh, entity)["history"] == ([], [])


def compiled(wh: Warehouse, sql: str) -> str:
    result = wh.dbt("compile", "--inline", sql, "--quiet")
    return (result.output or "").strip()


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
    cases = [(entity, at) for entity in ("customer", "orders", "part") for at in times]
    # one `dbt compile` for every case: the queries in one inline text, split at a marker
    marker = "-- next case --"
    inline = f"\n{marker}\n".join(
        f"select {', '.join(ENTITIES[entity][2].values())} from "
        f"{{{{ as_of(ref('{ENTITIES[entity][1]}'), \"timestamp '{at}'\") }}}} as t"
        for entity, at in cases)
    queries = compiled(wh, inline).split(marker)
    assert len(queries) == len(cases)
    for (entity, at), sql in zip(cases, queries, strict=True):
        columns = ENTITIES[entity][2]
        expected = (f"select {', '.join(f'{t} as {s}' for t, s in columns.items())} "
                    f"from {truth(wh, f'history/{entity}.parquet')} "
                    f"where valid_from <= '{at}' and (valid_to is null or valid_to > '{at}') "
                    "and not is_deleted")
        assert differences(wh, expected, sql) == ([], []), (entity, at)


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
    # order lines and what they read, their quarantine, and the tests of those alone
    order_lines = ("--select", "+order_lines", "+quarantine_order_lines",
                   "--indirect-selection", "cautious")
    warn = json.dumps({"expectation_actions": {"order_lines.valid_ship_mode": "warn"}})
    wh.dbt("build", *order_lines, "--vars", warn)
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
    result = wh.dbt("build", *order_lines, "--vars", fail, check=False)
    assert result.returncode != 0
    assert "expectation(s) positive_quantity with action fail violated by 1 row(s) of order_lines" \
        in result.output
    assert '"quantity":-' in result.output.replace(" ", "")  # the sample shows the row
    assert fingerprint(wh, ["order_lines"]) == before
    # the default (drop) then applies the day: the bad line quarantined, the rest loaded
    wh.dbt("build", *order_lines)
    assert fingerprint(wh, ["order_lines"]) != before
    assert wh.one("select count(*) from silver.order_lines where quantity <= 0") == 0


def test_time_travel_command_prints_the_state(one_run: Warehouse) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lakehouse"), "time-travel", "--table",
         "customers_history", "--as-of", "1998-08-02 12:00", "--where", "customer_id = 1",
         "--json"],
        cwd=PROJECT_DIR, env=one_run.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout[result.stdout.index("{"):])["show"]
    assert [r["customer_id"] for r in rows] == [1]
