"""Real CDC, proven against the real tools: a real PostgreSQL (its own cluster, logical
replication on, 127.0.0.1 only) captured by the real Debezium engine through `lakehouse
capture`, then bronze and silver built. The source is the truth: silver's current state equals
PostgreSQL's tables, and silver's history, read as of each moment the test observed, equals
PostgreSQL's tables at that moment, every column, to the cent and the microsecond."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from oracles import ENTITIES
from postgres import Postgres, postgres_bin
from warehouse import Warehouse, project_copy

from lakehouse.config import PROJECT_DIR

# a PostgreSQL server and the Debezium JVM
pytestmark = [
    # CI (and scripts/bootstrap.sh test as root) installs Debian's postgresql: there it must run
    pytest.mark.skipif(postgres_bin() is None and not os.environ.get("CI"),
                       reason="PostgreSQL is not installed (Debian package postgresql)"),
]

LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
SILVER = ("--select", "path:models/bronze", "path:models/silver")
DDL = """
create table customer (
    c_custkey bigint primary key, c_name varchar(25), c_address varchar(40),
    c_nationkey integer, c_phone varchar(15), c_acctbal numeric(15,2),
    c_mktsegment varchar(10), c_comment varchar(117));
create table orders (
    o_orderkey bigint primary key, o_custkey bigint, o_orderstatus varchar(1),
    o_totalprice numeric(15,2), o_orderdate date, o_orderpriority varchar(15),
    o_clerk varchar(15), o_shippriority integer, o_comment varchar(79),
    o_updated_at timestamp);
create table lineitem (
    l_orderkey bigint, l_partkey bigint, l_suppkey bigint, l_linenumber bigint,
    l_quantity numeric(15,2), l_extendedprice numeric(15,2), l_discount numeric(15,2),
    l_tax numeric(15,2), l_returnflag varchar(1), l_linestatus varchar(1), l_shipdate date,
    l_commitdate date, l_receiptdate date, l_shipinstruct varchar(25), l_shipmode varchar(10),
    l_comment varchar(44), primary key (l_orderkey, l_linenumber));
"""
# the source's own timestamp column, declared as a user onboarding this database would
DECLARED = {"cdc_orders": [{"name": "o_updated_at", "data_type": "timestamp",
                            "config": {"meta": {"encoding": "io.debezium.time.MicroTimestamp"}}}]}
SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")
PRIORITIES = ("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW")
MODES = ("REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB")
EXTRA_HISTORY = {"orders": {"o_updated_at": "o_updated_at"}}


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def customer(rng: random.Random, key: int) -> tuple[Any, ...]:
    return (key, f"Customer#{key:09d}", f"addr {rng.randint(1, 10**6)}", rng.randint(0, 24),
            f"{rng.randint(10, 34)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            money(rng, -999, 9999), rng.choice(SEGMENTS), rng.choice([None, "regular", "ïñtl ✓"]))


def order(rng: random.Random, key: int, custkey: int) -> tuple[Any, ...]:
    date = dt.date(1969, 7, 20) + dt.timedelta(days=rng.randint(0, 15000))
    updated = dt.datetime(1965, 1, 1) + dt.timedelta(microseconds=rng.randint(0, 2 * 10**15))
    return (key, custkey, rng.choice("OPF"), money(rng, 0, 10**7) + Decimal("0.01"), date,
            rng.choice(PRIORITIES), f"Clerk#{rng.randint(1, 999):09d}", 0,
            rng.choice([None, "fast"]), rng.choice([updated, None, dt.datetime(1970, 1, 1)]))


def line(rng: random.Random, orderkey: int, number: int, order_date: dt.date) -> tuple[Any, ...]:
    ship = order_date + dt.timedelta(days=rng.randint(1, 120))
    return (orderkey, rng.randint(1, 2000), rng.randint(1, 100), number,
            Decimal(rng.randint(1, 50)), money(rng, 900, 104950), Decimal(rng.randint(0, 10)) / 100,
            Decimal(rng.randint(0, 8)) / 100, rng.choice("RAN"), rng.choice("OF"), ship,
            ship + dt.timedelta(days=rng.randint(-30, 30)), ship + dt.timedelta(days=rng.randint(1, 30)),
            "DELIVER IN PERSON", rng.choice(MODES), rng.choice([None, "carefully"]))


def insert(cur: Any, table: str, row: tuple[Any, ...]) -> None:
    cur.execute(f"insert into {table} values ({', '.join(['%s'] * len(row))})", row)


class Source:
    """The PostgreSQL database under capture; remembers its state at each checkpoint."""

    def __init__(self, pg: Postgres, name: str, replica_identity_full: bool) -> None:
        with pg.connect("postgres") as con:
            con.execute(f"create database {name}")
        self.con = pg.connect(name)
        self.con.execute(DDL)
        if replica_identity_full:
            for table in ("customer", "orders", "lineitem"):
                self.con.execute(f"alter table {table} replica identity full")
        self.rng = random.Random(name)
        self.checkpoints: list[tuple[dt.datetime, dict[str, set[tuple[Any, ...]]]]] = []
        self.changes = 0  # row changes committed: each is one Debezium event

    def state(self) -> dict[str, set[tuple[Any, ...]]]:
        return {t: set(self.con.execute(f"select * from {t}").fetchall())
                for t in ("customer", "orders", "lineitem")}

    def checkpoint(self) -> None:
        """Remember the state and the time right after a commit; the next change commits at
        least a few milliseconds later (Debezium's source.ts_ms is in milliseconds)."""
        at = self.con.execute("select clock_timestamp()").fetchone()[0]
        self.checkpoints.append((at.astimezone(dt.UTC).replace(tzinfo=None), self.state()))
        time.sleep(0.02)

    def run(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        """One transaction."""
        with self.con.transaction(), self.con.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
                self.changes += cur.rowcount
        self.checkpoint()

    def load_initial(self) -> None:
        rng = self.rng
        with self.con.transaction(), self.con.cursor() as cur:
            for c in range(1, 13):
                insert(cur, "customer", customer(rng, c))
            for o in range(1, 21):
                row = order(rng, o, rng.randint(1, 12))
                insert(cur, "orders", row)
                for n in range(1, rng.randint(2, 4)):
                    insert(cur, "lineitem", line(rng, o, n, row[4]))
        self.changes = sum(len(rows) for rows in self.state().values())

    def first_changes(self) -> None:
        rng = self.rng
        new_order = order(rng, 21, 13)
        self.run(("insert into customer values (%s, %s, %s, %s, %s, %s, %s, %s)", customer(rng, 13)),
                 ("insert into orders values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", new_order),
                 *[("insert into lineitem values (" + ", ".join(["%s"] * 16) + ")",
                    line(rng, 21, n, new_order[4])) for n in (1, 2)])
        for cents in ("1.01", "-0.01", "9999999999999.99"):  # one key, many transactions
            self.run(("update customer set c_acctbal = %s where c_custkey = 1", (Decimal(cents),)))
        # several updates of one key in one transaction
        self.run(("update orders set o_totalprice = 0.00 where o_orderkey = 2", ()),
                 ("update orders set o_totalprice = 123.45, o_orderstatus = 'F', "
                  "o_updated_at = '1969-12-31 23:59:59.999999' where o_orderkey = 2", ()),
                 ("update lineitem set l_quantity = 7, l_discount = 0.05 "
                  "where l_orderkey = 2 and l_linenumber = 1", ()))

    def more_changes(self) -> None:
        rng = self.rng
        self.run(("delete from lineitem where l_orderkey = 3 and l_linenumber = 1", ()))
        self.run(("delete from lineitem where l_orderkey = 4", ()),
                 ("delete from orders where o_orderkey = 4", ()))
        # delete, then re-insert the key: in two transactions, and in one
        self.run(("delete from customer where c_custkey = 5", ()))
        self.run(("insert into customer values (%s, %s, %s, %s, %s, %s, %s, %s)", customer(rng, 5)))
        self.run(("delete from customer where c_custkey = 6", ()),
                 ("insert into customer values (%s, %s, %s, %s, %s, %s, %s, %s)", customer(rng, 6)))
        self.run(("update customer set c_comment = null, c_acctbal = null where c_custkey = 7", ()),
                 ("update orders set o_updated_at = '2199-12-31 23:59:59.000001', "
                  "o_orderdate = '1900-01-01' where o_orderkey = 7", ()))


class Capture:
    """`lakehouse capture` as a child process in its own process group."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.env, self.log, self.args = env, log, args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Capture:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(LAKEHOUSE), "capture", *self.args],
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def signal(self, sig: signal.Signals) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def stop(self) -> None:
        assert self.signal(signal.SIGTERM) == 0, self.log.read_text()[-3000:]

    def kill(self) -> None:
        self.signal(signal.SIGKILL)


def landed_events(landing: Path) -> set[tuple[Any, ...]]:
    """The distinct change events in the landing zone: (table, op, key, lsn)."""
    events = set()
    for path in landing.glob("cdc/*/*/*.jsonl"):
        for text in path.read_text().splitlines():
            event = json.loads(text)
            if event is None:
                continue
            event = event.get("payload", event)
            image = event["after"] or event["before"]
            table = event["source"]["table"]
            key = tuple(v for k, v in image.items() if k in ("c_custkey", "o_orderkey",
                                                              "l_orderkey", "l_linenumber"))
            events.add((table, event["op"], key, event["source"]["lsn"]))
    return events


def wait_for_events(landing: Path, count: int, capture: Capture, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(landed_events(landing)) < count:
        assert capture.process is not None and capture.process.poll() is None, \
            capture.log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{len(landed_events(landing))} of {count} events landed"
        time.sleep(0.3)


def as_of_rows(wh: Warehouse, entity: str, at: dt.datetime) -> set[tuple[Any, ...]]:
    _, history, columns = ENTITIES[entity]
    columns = {**columns, **EXTRA_HISTORY.get(entity, {})}
    return set(wh.sql(f"select {', '.join(columns.values())} from silver.{history} "
                      f"where valid_from <= '{at}' and (valid_to is null or valid_to > '{at}') "
                      "and not is_deleted"))


def source_rows(source: Source, entity: str, rows: set[tuple[Any, ...]],
                names: list[str]) -> set[tuple[Any, ...]]:
    columns = [*ENTITIES[entity][2], *EXTRA_HISTORY.get(entity, {})]
    index = [names.index(c) for c in columns]
    return {tuple(row[i] for i in index) for row in rows}


@pytest.fixture(scope="module")
def pg() -> Any:
    with Postgres() as server:
        yield server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_copy(tmp_path_factory.mktemp("project"), DECLARED)


@pytest.mark.parametrize(("name", "settings", "full_identity", "kill"), [
    ("defaults", [], False, True),
    ("decimal_string", ["decimal.handling.mode=string"], True, False),
    ("schemaless", ["converter.schemas.enable=false"], True, False),
])
def test_silver_equals_postgres(pg: Postgres, project: Path, tmp_path: Path, name: str,
                                settings: list[str], full_identity: bool, kill: bool) -> None:
    source = Source(pg, f"retail_{name}", full_identity)
    source.load_initial()
    wh = Warehouse(tmp_path, project_dir=project)
    env = {**wh.env, **pg.env(f"retail_{name}"), "LAKEHOUSE_CAPTURE_STATE": str(tmp_path / "state")}
    args = [f"--set={s}" for s in settings]
    capture = Capture(env, tmp_path / "capture.log", *args).start()
    try:
        wait_for_events(wh.landing, source.changes, capture)
        source.checkpoint()  # the snapshot's state
        time.sleep(1.5)  # past one offset flush: the snapshot is acknowledged
        source.first_changes()
        if kill:  # killed mid-way, whatever it had written or acknowledged
            capture.kill()
            capture.start()
        source.more_changes()
        wait_for_events(wh.landing, source.changes, capture)
    finally:
        capture.stop()
    names = {t: [c.name for c in source.con.execute(f"select * from {t} limit 0").description]
             for t in ("customer", "orders", "lineitem")}
    events = landed_events(wh.landing)
    assert len(events) == source.changes
    assert len({e for e in events if e[1] == "r"}) == sum(
        len(rows) for rows in source.checkpoints[0][1].values()), "a restart re-snapshotted"

    wh.dbt("run", *SILVER)
    final = source.checkpoints[-1][1]
    for entity, (table, _, columns) in ENTITIES.items():
        if entity not in final:
            continue
        actual = set(wh.sql(f"select {', '.join(columns.values())} from silver.{table}"))
        expected = {tuple(row[names[entity].index(c)] for c in columns) for row in final[entity]}
        assert actual == expected, (entity, sorted(actual ^ expected)[:6])
        for at, state in source.checkpoints:
            expected = source_rows(source, entity, state[entity], names[entity])
            actual = as_of_rows(wh, entity, at)
            assert actual == expected, (entity, at, sorted(actual ^ expected)[:6])
    assert wh.one("select count(*) from silver.orders_history where o_updated_at is not null") > 0
    undecoded = wh.sql("select model_name, sum(failed_rows) from silver.dq_expectation_results "
                       "where expectation_name = 'source_values_decoded' group by 1")
    assert sorted(undecoded) == [("customers", 0), ("order_lines", 0), ("orders", 0)]
    assert wh.one("select count(*) from bronze.quarantine_landing") == 0
    source.con.close()


# a table the project has never seen, onboarded as docs/add-a-source-table.md says: three files
EXAMPLE = PROJECT_DIR / "examples" / "promotions"
PROMOTIONS = """create table promotions (promo_id integer primary key, promo_name varchar(40),
    discount_pct numeric(5,2), starts_on date, ends_at timestamp)"""
PROMOTION_COLUMNS = "promotion_id, promotion_name, discount_pct, starts_on, ends_at"


def promotion(rng: random.Random, key: int) -> tuple[Any, ...]:
    starts = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
    ends = dt.datetime(1965, 1, 1) + dt.timedelta(microseconds=rng.randint(0, 2 * 10**15))
    return (key, rng.choice([f"Promo #{key}", None, "été ✓"]), money(rng, 0, 99),
            starts, rng.choice([ends, None]))


def test_a_new_table_reaches_silver_from_three_files(pg: Postgres, tmp_path: Path) -> None:
    """A user's own table (a numeric, a date, a timestamp), captured from PostgreSQL, reaches
    bronze and silver from its source contract, history model and YAML alone: silver's current
    state is PostgreSQL's table less the rows an expectation drops (those are quarantined and
    counted), its history equals the table as of every moment observed, and a rerun changes
    nothing."""
    project = project_copy(tmp_path / "project", {})
    added = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    assert len(added) == 3
    for path in added:
        assert not (project / path).exists()
        shutil.copy(EXAMPLE / path, project / path)

    with pg.connect("postgres") as con:
        con.execute("create database shop")
    db = pg.connect("shop")
    db.execute(PROMOTIONS)
    rng = random.Random(7)
    changes = 0
    checkpoints: list[tuple[dt.datetime, set[tuple[Any, ...]]]] = []

    def checkpoint() -> None:
        at = db.execute("select clock_timestamp()").fetchone()[0]
        checkpoints.append((at.astimezone(dt.UTC).replace(tzinfo=None),
                            set(db.execute("select * from promotions").fetchall())))
        time.sleep(0.02)

    def run(*statements: tuple[str, tuple[Any, ...]]) -> None:
        nonlocal changes
        with db.transaction(), db.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
                changes += cur.rowcount
        checkpoint()

    insert = "insert into promotions values (%s, %s, %s, %s, %s)"
    with db.transaction(), db.cursor() as cur:
        for key in range(1, 9):
            cur.execute(insert, promotion(rng, key))
    changes = 8
    wh = Warehouse(tmp_path / "warehouse", project_dir=project)
    env = {**wh.env, **pg.env("shop"), "LAKEHOUSE_CAPTURE_STATE": str(tmp_path / "state")}
    capture = Capture(env, tmp_path / "capture.log", "--tables", "promotions").start()

    def landed() -> int:
        lines = [json.loads(t) for p in wh.landing.glob("cdc/promotions/*/*.jsonl")
                 for t in p.read_text().splitlines()]
        return len({(e.get("payload", e)["op"], e.get("payload", e)["source"]["lsn"],
                     json.dumps(e.get("payload", e)["after"] or e.get("payload", e)["before"]))
                    for e in lines if e is not None})

    try:
        while landed() < changes:  # the snapshot
            assert capture.process is not None and capture.process.poll() is None, \
                capture.log.read_text()[-3000:]
            time.sleep(0.3)
        checkpoint()  # the snapshot's state, as of its events
        run(("update promotions set discount_pct = 99.99, ends_at = '1999-12-31 23:59:59.999999' "
             "where promo_id = 1", ()))
        run(("delete from promotions where promo_id = 2", ()),
            ("update promotions set promo_name = null where promo_id = 3", ()))
        run((insert, (9, "Too generous", Decimal("150.00"), dt.date(1969, 12, 31), None)),
            ("update promotions set starts_on = '2100-02-28' where promo_id = 4", ()))
        deadline = time.monotonic() + 120
        while landed() < changes:
            assert time.monotonic() < deadline, f"{landed()} of {changes} events landed"
            time.sleep(0.3)
    finally:
        capture.stop()

    wh.dbt("build", "--select", "+promotions_history")
    final = checkpoints[-1][1]
    valid = {row for row in final if 0 <= row[2] <= 100}
    assert set(wh.sql(f"select {PROMOTION_COLUMNS} from silver.promotions")) == valid
    for at, state in checkpoints:
        as_of = set(wh.sql(f"select {PROMOTION_COLUMNS} from silver.promotions_history "
                           f"where valid_from <= '{at}' and (valid_to is null or valid_to > '{at}') "
                           "and not is_deleted"))
        assert as_of == state, (at, sorted(as_of ^ state, key=str)[:4])
    assert wh.sql("select promotion_id, _failed_expectations from silver.quarantine_promotions") \
        == [(9, ["discount_in_range"])]
    counted = dict(wh.sql("select expectation_name, sum(failed_rows) from "
                          "silver.dq_expectation_results where model_name = 'promotions' group by 1"))
    ended_early = sum(1 for row in final if row[4] is not None and row[4].date() < row[3])
    assert counted == {"promotion_id_present": 0, "discount_in_range": 1,
                       "ends_after_start": ended_early}
    assert wh.one("select sum(rows_checked) from silver.dq_expectation_results "
                  "where model_name = 'promotions' and expectation_name = 'discount_in_range'") \
        == len(final)
    assert wh.one("select count(*) from bronze.cdc_promotions") == changes
    assert wh.sql("select distinct status from bronze.ingest_ledger "
                  "where feed = 'cdc_promotions'") == [("loaded",)]

    tables = ["bronze.cdc_promotions", "silver.promotions_history", "silver.promotions",
              "silver.promotions_checked", "silver.quarantine_promotions"]
    before = {t: wh.sql(f"select count(*), sum(hash(t)) from {t} as t") for t in tables}
    wh.dbt("build", "--select", "+promotions_history")
    assert {t: wh.sql(f"select count(*), sum(hash(t)) from {t} as t") for t in tables} == before
    db.close()


def test_idle_exit_stops_a_capture_with_nothing_to_capture(pg: Postgres, tmp_path: Path) -> None:
    """A batch capture (`--idle-exit`) of tables with no rows and no changes still ends."""
    source = Source(pg, "retail_empty", replica_identity_full=False)
    env = {**os.environ, **pg.env("retail_empty"), "LAKEHOUSE_LANDING": str(tmp_path / "landing"),
           "LAKEHOUSE_CAPTURE_STATE": str(tmp_path / "state")}
    (tmp_path / "landing").mkdir()
    started = time.monotonic()
    result = subprocess.run([str(LAKEHOUSE), "capture", "--idle-exit", "1"], env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "0 event(s)" in result.stdout and time.monotonic() - started < 120
    source.con.close()
