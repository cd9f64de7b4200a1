"""Real-time: Kafka topics through the lakehouse exactly once, against a real broker (Tansu,
started here on 127.0.0.1 and stopped after). One warehouse, built from files for days 0 and 1,
then fed days 2 to 7 of the clickstream and of the orders' change events over Kafka (and the
parts' daily extracts as files), through consumers killed with SIGKILL mid-stream and a build
killed while bronze reads the streamed batches. The proofs:
every offset in bronze once, the windows equal to a recomputation from the generator's truth,
the orders' silver equal to the same events delivered as files."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import free_port, rendered_dom, wait_for
from oracles import differences, truth
from warehouse import LAKEHOUSE, Served

from lakehouse.build.run_history import _lock_file
from lakehouse.stream import broker
from lakehouse.stream.producer import produce
from lakehouse.stream.reconcile import reconcile

STREAMED = ("web_events", "cdc_orders")
STREAMED_FILES = ("events/", "cdc/orders/")
# the parts' daily extracts (their prices price the windows' purchases); the other feeds' later
# days are left out, so that the build is what the streamed feeds and the parts feed
DELIVERED_FILES = ("full/part/",)
BEYOND_WATERMARK = {
    "event_id": "00000000-0000-4000-8000-00000000beef", "event_type": "page_view",
    "session_id": "00000000-0000-4000-8000-00000000cafe", "customer_key": None,
    "part_key": None, "ts": "1998-07-01T00:00:00.000Z"}


def planted_burst(generated: Path) -> list[dict]:
    """40 page views in one minute, five minutes after the data set's last event: an anomaly
    the activity rule must catch (its usual minute holds one or two events)."""
    last = max(json.loads(line)["ts"] for line in
               (generated / "truth" / "web_events.jsonl").read_text().splitlines())
    minute = dt.datetime.fromisoformat(last[:16]) + dt.timedelta(minutes=5)
    return [{"event_id": f"00000000-0000-4000-8000-{n:012d}", "event_type": "page_view",
             "session_id": f"00000000-0000-4000-9000-{n:012d}", "customer_key": None,
             "part_key": None, "ts": f"{minute + dt.timedelta(seconds=n):%Y-%m-%dT%H:%M:%S}.000Z"}
            for n in range(40)]


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = broker.start(port, tmp_path_factory.mktemp("broker") / "tansu.log")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        broker.stop(proc)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, generated: Path, published_day1: Path,
       kafka: str) -> Served:
    """Days 0 and 1 built from files; of days 2-7 the parts' extracts delivered as files and the
    streamed feeds' lines on Kafka (3 partitions each), plus one event far beyond the
    watermark."""
    wh = Served.copy(published_day1, tmp_path_factory.mktemp("stream"), generated)
    for path in wh.deliver():
        if not path.startswith(DELIVERED_FILES):
            (wh.landing / path).unlink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAKEHOUSE_KAFKA_BOOTSTRAP_SERVERS", kafka)
        for day in range(2, 8):
            produce(generated, list(STREAMED), day=day, log=lambda _: None)
    from confluent_kafka import Producer

    planted = planted_burst(generated)
    (wh.root / "planted.jsonl").write_text("".join(json.dumps(e) + "\n" for e in planted))
    producer = Producer({"bootstrap.servers": kafka})
    for event in [BEYOND_WATERMARK, *planted]:
        producer.produce("lakehouse.web_events", json.dumps(event).encode(),
                         key=event["session_id"].encode())
    assert producer.flush(10) == 0
    return wh


def stream_env(wh: Served, kafka: str) -> dict[str, str]:
    return {**wh.env, "LAKEHOUSE_KAFKA_BOOTSTRAP_SERVERS": kafka}


def test_consumer_and_build_killed_lose_and_repeat_nothing(wh: Served, kafka: str) -> None:
    env = stream_env(wh, kafka)
    streamed = wh.landing / "stream"
    for kill in range(3):
        # small triggers, so that a kill falls between, during and after writing a batch
        consumer = subprocess.Popen(
            [str(LAKEHOUSE), "stream", "--available-now", "--no-build", "--max-messages",
             str(150 + 70 * kill)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        before = len(list(streamed.rglob("*.jsonl"))) if streamed.exists() else 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and consumer.poll() is None and (
                not streamed.exists() or len(list(streamed.rglob("*.jsonl"))) < before + 2 + kill):
            time.sleep(0.005)
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait()
    assert streamed.exists() and any(streamed.rglob("*.jsonl"))

    # a build killed (SIGKILL, with its dbt) while bronze reads the landed batches: what it
    # ingested is rolled back with its transaction, and the next build takes it all
    # (dbt's debug log says when bronze starts reading them: the statement staging the files)
    dbt_log = Path(env["DBT_LOG_PATH"]) / "dbt.log"
    dbt_log.unlink(missing_ok=True)
    reading = "create or replace temp table __bronze_stage_web_events as"
    # (its trigger lands a small batch: the rest is the last stream's, below)
    build = subprocess.Popen([str(LAKEHOUSE), "stream", "--available-now", "--max-messages",
                              "500"],
                             env={**env, "DBT_LOG_LEVEL_FILE": "debug"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 180
    while not dbt_log.exists() or reading not in dbt_log.read_text():
        assert build.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    assert "OK created sql bronze_feed model bronze.web_events_raw" not in dbt_log.read_text()

    # a `lakehouse run` holds the warehouse: the stream's build waits for it, then builds
    log = wh.root / "stream.log"
    with _lock_file(wh.db).open("a") as run_lock, log.open("w") as out:
        fcntl.flock(run_lock, fcntl.LOCK_EX)
        final = subprocess.Popen([str(LAKEHOUSE), "stream", "--available-now", "--publish"],
                                 env=env,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while "waiting for it to end" not in log.read_text() and final.poll() is None:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        assert final.poll() is None, log.read_text()[-3000:]  # waiting, not failed
    assert final.wait(300) == 0, log.read_text()[-3000:]

    partitions = reconcile(wh.landing, wh.db)
    assert {(p["topic"], p["partition"]) for p in partitions} == {
        (t, p) for t in ("lakehouse.web_events", "tpch.public.orders") for p in range(3)}
    for p in partitions:
        assert p["first_offset"] == 0, p
        assert (p["duplicates"], p["unaccounted"], p["gaps"]) == (0, 0, 0), p
        assert p["landed"] == p["last_offset"] + 1 == p["loaded"] + p["quarantined"] + p[
            "tombstones"], p
    produced = sum(sum(1 for line in (wh.generated / "landing" / e).read_text().splitlines()
                       if line) for e in _streamed_entries(wh)) + 1 + len(planted_burst(wh.generated))
    assert sum(p["landed"] for p in partitions) == produced
    # the checkout's reconciliation command agrees
    check = subprocess.run([str(LAKEHOUSE), "stream-reconcile", "--json"], env=env,
                           capture_output=True, text=True)
    assert check.returncode == 0 and json.loads(check.stdout) == json.loads(
        json.dumps(partitions))


def _streamed_entries(wh: Served) -> list[str]:
    manifest = json.loads((wh.generated / "manifest.json").read_text())
    return [e["path"] for e in manifest["files"]
            if e["arrival_day"] >= 2 and e["path"].startswith(STREAMED_FILES)]


def truth_events(wh: Served) -> str:
    """The generator's distinct events and the planted burst (a key of the wrong type is no
    product)."""
    return f"""
        select event_id, event_type, session_id, ts,
               try_cast(part_key::varchar as bigint) as part_id
        from read_json_auto([{truth(wh, 'web_events.jsonl')}, '{wh.root / "planted.jsonl"}'],
                            union_by_name = true)
    """


def window_oracle(wh: Served, minutes: int) -> str:
    """The windows recomputed from the generator's truth: its distinct events (late ones
    included) and the planted ones, revenue at the price valid at the event's time in the
    truth's history."""
    return f"""
        with events as ({truth_events(wh)}),
        priced as (
            select events.*, parts.p_retailprice as price
            from events
            left join {truth(wh, 'history/part.parquet')} as parts
                on parts.p_partkey = events.part_id and events.ts >= parts.valid_from
                and events.ts < coalesce(parts.valid_to, timestamp '9999-12-31')
        )
        select time_bucket(interval '{minutes} minutes', ts) as window_start, part_id,
               count(*) as events,
               count(*) filter (where event_type = 'page_view'),
               count(*) filter (where event_type = 'search'),
               count(*) filter (where event_type = 'add_to_cart'),
               count(*) filter (where event_type = 'checkout'),
               count(*) filter (where event_type = 'purchase'),
               cast(coalesce(sum(price) filter (where event_type = 'purchase'), 0)
                   as decimal(15, 2)),
               count(distinct session_id)
        from priced
        group by all
    """


@pytest.mark.parametrize("minutes", [1, 5])
def test_windows_equal_the_truth_window_by_window(wh: Served, minutes: int) -> None:
    actual = (f"select window_start, part_id, events, page_views, searches, add_to_carts, "
              f"checkouts, purchases, revenue, sessions from gold.mart_web_activity_{minutes}m")
    expected = window_oracle(wh, minutes)
    assert differences(wh, expected, actual) == ([], [])
    # days 0-1 from files and 2-7 from Kafka: the windows span both, updated in place
    assert wh.one(f"select count(distinct window_start::date) from gold.mart_web_activity_"
                  f"{minutes}m") == 7


def test_the_live_funnel_equals_the_truth_window_by_window(wh: Served) -> None:
    """Sessions by the 5-minute window they started in, with the steps they reached."""
    oracle = f"""
        with sessions as (
            select session_id, min(ts) as started_at,
                   count(*) filter (where event_type = 'page_view' and part_id is not null)
                       as product_views,
                   count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
                   count(*) filter (where event_type = 'checkout') as checkouts,
                   count(*) filter (where event_type = 'purchase') as purchases
            from ({truth_events(wh)}) group by session_id
        )
        select time_bucket(interval 5 minute, started_at), count(*),
               count(*) filter (where product_views > 0), count(*) filter (where add_to_carts > 0),
               count(*) filter (where checkouts > 0), count(*) filter (where purchases > 0),
               sum(purchases)::bigint
        from sessions group by all
    """
    actual = ("select window_start, sessions, sessions_with_product_view, sessions_with_cart, "
              "sessions_with_checkout, sessions_with_purchase, purchases "
              "from gold.mart_web_funnel_5m")
    assert differences(wh, oracle, actual) == ([], [])
    assert wh.one("select sum(sessions_with_purchase) from gold.mart_web_funnel_5m") > 0


def test_an_event_beyond_the_watermark_is_quarantined_with_its_lateness(wh: Served) -> None:
    beyond = "event_id = '00000000-0000-4000-8000-00000000beef'"
    ((lateness, failed),) = wh.sql("select _event_time_watermark - event_at, _failed_expectations "
                                   f"from silver.quarantine_web_events where {beyond}")
    assert lateness > dt.timedelta(days=30) and failed == ["within_lookback_window"]
    assert wh.one(f"select count(*) from silver.web_events where {beyond}") == 0
    assert wh.one("select count(*) from gold.mart_web_activity_1m where window_start < "
                  "timestamp '1998-07-02'") == 0


def test_orders_from_a_topic_equal_orders_from_files(wh: Served, published_all_days: Path,
                                                     generated: Path) -> None:
    files = Served(published_all_days, generated)
    # all but where and when each row was read (a file's line, or a message's batch file)
    technical = {"orders": "_applied_through",
                 "orders_history": "_source_file, _source_line, _ingested_at, _applied_through"}
    for table, columns in technical.items():
        query = f"select * exclude ({columns}) from silver.{table} order by all"
        streamed, delivered = wh.sql(query), files.sql(query)
        assert len(streamed) > 0 and streamed == delivered, table


def test_the_anomaly_rule_fires_on_the_planted_burst_and_nowhere_else(wh: Served) -> None:
    burst = dt.datetime.fromisoformat(planted_burst(wh.generated)[0]["ts"][:16])
    assert wh.sql("select window_start, events, direction from gold.fct_web_activity_anomalies"
                  ) == [(burst, 40, "spike")]
    # raised through the alerts by the trigger that brought the burst in
    log = (wh.root / "stream.log").read_text()
    assert "alert web_activity_anomaly triggered: window_start=" + str(burst) in log


def test_abandoned_carts_equal_the_truth(wh: Served) -> None:
    # an add-to-cart with no checkout in its session within 30 minutes of event time, judged
    # once event time has passed them
    oracle = f"""
        with events as ({truth_events(wh)}),
        carts as (select * from events where event_type = 'add_to_cart'),
        checkouts as (select * from events where event_type = 'checkout')
        select carts.event_id::varchar, carts.ts
        from carts
        where carts.ts + interval 30 minute <= (select max(ts) from events)
            and not exists (
                select 1 from checkouts
                where checkouts.session_id = carts.session_id and checkouts.ts >= carts.ts
                    and checkouts.ts < carts.ts + interval 30 minute)
    """
    expected = set(wh.sql(oracle))
    assert expected and set(wh.sql("select cart_event_id, added_at from "
                                   "gold.fct_cart_abandonments")) == expected


def test_the_live_page_renders_windows_lag_and_anomalies(wh: Served, tmp_path: Path) -> None:
    status = json.loads((wh.serving / "stream.json").read_text())
    assert {p["lag"] for p in status["partitions"]} == {0}
    assert status["last_trigger"]["latency_seconds"]["p95"] > 0
    port = free_port()
    server = subprocess.Popen([str(LAKEHOUSE), "dashboard", "--port", str(port)],
                              env=wh.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    burst = dt.datetime.fromisoformat(planted_burst(wh.generated)[0]["ts"][:16])
    sections = ("Consumer lag per partition", "The last 30 minutes of event time",
                "Live session funnel", "Latest anomalies", "Latest abandoned carts",
                f"{burst:%Y-%m-%d %H:%M}")
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        dom = rendered_dom(f"http://127.0.0.1:{port}/realtime", sections, tmp_path / "profile")
        assert [section for section in sections if section not in dom] == []
        assert "stException" not in dom
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
