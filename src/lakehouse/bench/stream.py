"""Streaming benchmark (`lakehouse bench-stream`): `lakehouse stream` against a local broker
(Tansu) at sustained event rates, measured in one run beside its anchor, the raw consume rate
of the same client (confluent-kafka, the same topic layout) to nowhere.

For each rate: a fresh topic's worth of clickstream events (event time = now) is produced at
that rate for `seconds` seconds while `lakehouse stream --trigger-interval` consumes and builds;
then the stream is given time to drain (at least 120 s) and stopped; what it had not landed
by then (its backlog) is landed and built by `--available-now` before anything is counted.
Reported: the rate the producer achieved, the rate the stream landed at, how long it took to
drain after the producer stopped (and the backlog when it did not), messages lost (produced
but not in bronze) and duplicated (an offset loaded twice), and the end-to-end
latency, p50 and p95, from each message's Kafka timestamp to the end of the run whose build
made it queryable in the window tables (`ops.run_history.ended_at` of the run whose dbt
invocation loaded it). The live page shows a run's windows after its publish and its next
refresh (every 5 s): at most the publish's seconds and 5 s more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from lakehouse import log as log_line
from lakehouse.config import PROJECT_DIR

TOPIC = "lakehouse.web_events"
TYPES = ("page_view", "page_view", "page_view", "search", "add_to_cart", "checkout", "purchase")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _event(rng: random.Random) -> tuple[bytes, bytes]:
    session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    event = {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             "event_type": rng.choice(TYPES), "session_id": session,
             "customer_key": rng.randrange(1, 1500) if rng.random() < 0.3 else None,
             "part_key": rng.randrange(1, 2000),
             "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace(
                 "+00:00", "Z")}
    return session.encode(), json.dumps(event, separators=(",", ":")).encode()


def _produce(bootstrap: str, topic: str, rate: float | None, seconds: float | None,
             count: int | None, seed: int) -> tuple[int, float]:
    """Produce at `rate` for `seconds` (or `count` as fast as possible); (messages, seconds)."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                         "linger.ms": 5, "log_level": 4})
    rng = random.Random(seed)
    sent, started = 0, time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        if (count is not None and sent >= count) or (seconds is not None and elapsed >= seconds):
            break
        if rate and sent >= rate * elapsed:
            producer.poll(0.001)
            continue
        key, value = _event(rng)
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.01)
        sent += 1
        if sent % 1000 == 0:
            producer.poll(0)
    elapsed = time.monotonic() - started
    if producer.flush(60):
        raise RuntimeError("the producer could not deliver every message")
    return sent, elapsed


def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 4})
    for future in admin.create_topics([NewTopic(topic, num_partitions=partitions,
                                                config={"retention.ms": "-1"})]).values():
        future.result(timeout=30)


def raw_consume_rate(bootstrap: str, partitions: int, count: int) -> dict:
    """The anchor: `count` messages produced to a topic of their own, then consumed by the same
    client with nothing done with them."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    topic = "bench.anchor"
    _create_topic(bootstrap, topic, partitions)
    _produce(bootstrap, topic, None, None, count, seed=0)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-anchor",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "log_level": 4})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    consumed, ends, started = 0, set(), time.monotonic()
    while len(ends) < partitions:
        for m in consumer.consume(10_000, 1.0):
            if m.error() is None:
                consumed += 1
            elif m.error().code() == KafkaError._PARTITION_EOF:
                ends.add(m.partition())
    seconds = time.monotonic() - started
    consumer.close()
    return {"messages": consumed, "seconds": round(seconds, 2),
            "messages_per_second": round(consumed / seconds)}


def _stream_status(serving: Path) -> dict:
    with contextlib.suppress(OSError, ValueError):
        return json.loads((serving / "stream.json").read_text())
    return {}


def _measure(db: Path, first_offsets: dict[int, int]) -> dict:
    """Loss, duplicates and latency of the messages from `first_offsets` on (per partition)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        since = " or ".join(f"(_kafka_partition = {p} and _kafka_offset >= {o})"
                            for p, o in first_offsets.items())
        loaded, distinct = con.execute(
            f"select count(*), count(distinct (_kafka_partition, _kafka_offset)) "
            f"from bronze.web_events_raw where _kafka_topic = '{TOPIC}' and ({since})"
        ).fetchone()
        p50, p95, worst, builds, build_p50 = con.execute(f"""
            with runs as (
                select unnest(dbt_invocations) as invocation, started_at, ended_at
                from ops.run_history
            ),
            landed as (
                select runs.started_at, runs.ended_at,
                       epoch(runs.ended_at - raw._kafka_timestamp) as latency
                from bronze.web_events_raw as raw
                inner join runs on raw._run_id = runs.invocation
                where raw._kafka_topic = '{TOPIC}' and ({since})
            ),
            triggers as (
                select distinct started_at, epoch(ended_at - started_at) as seconds from landed
            )
            select quantile_cont(latency, 0.5), quantile_cont(latency, 0.95), max(latency),
                   (select count(*) from triggers),
                   (select quantile_cont(seconds, 0.5) from triggers)
            from landed""").fetchone()
    finally:
        con.close()
    return {"loaded": loaded, "distinct_offsets": distinct, "duplicates": loaded - distinct,
            "latency_p50_seconds": round(p50, 2) if p50 is not None else None,
            "latency_p95_seconds": round(p95, 2) if p95 is not None else None,
            "latency_max_seconds": round(worst, 2) if worst is not None else None,
            "builds": builds,
            "build_p50_seconds": round(build_p50, 2) if build_p50 is not None else None}


def bench_stream(rates: list[int], seconds: float = 300, interval: str = "5s",
                 partitions: int = 3, anchor_messages: int = 200_000,
                 log: Callable[[str], None] = log_line) -> dict:
    from lakehouse.stream import broker

    lakehouse = str(Path(sys.executable).parent / "lakehouse")
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        work = Path(tmp)
        port = _free_port()
        proc = broker.start(port, work / "tansu.log")
        bootstrap = f"127.0.0.1:{port}"
        env = {**os.environ, "LAKEHOUSE_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "LAKEHOUSE_DB": str(work / "wh" / "lakehouse.duckdb"),
               "LAKEHOUSE_LANDING": str(work / "landing"),
               "LAKEHOUSE_SERVING": str(work / "serving"),
               "LAKEHOUSE_EXTERNAL_DB": str(work / "none.sqlite"),
               "DBT_TARGET_PATH": str(work / "target")}
        (work / "wh").mkdir()
        (work / "landing").mkdir()
        result: dict = {"rates": [], "seconds": seconds, "trigger_interval": interval,
                        "partitions": partitions, "cpu": _cpu()}
        try:
            log(f"bench-stream: anchor: {anchor_messages} messages consumed to nowhere")
            result["anchor"] = raw_consume_rate(bootstrap, partitions, anchor_messages)
            log(f"bench-stream: anchor {result['anchor']['messages_per_second']}/s")
            _create_topic(bootstrap, TOPIC, partitions)
            # the first build is the whole project; the measured triggers build what the
            # clickstream feeds, as a running stream does
            _produce(bootstrap, TOPIC, None, None, 100, seed=1)
            warm = subprocess.run([lakehouse, "stream", "--available-now", "--feeds",
                                   "web_events"], env=env, cwd=PROJECT_DIR, capture_output=True,
                                  text=True)
            if warm.returncode != 0:
                raise RuntimeError("the first stream build failed:\n" + warm.stdout[-3000:]
                                   + warm.stderr[-2000:])
            for n, rate in enumerate(rates):
                first = {p["partition"]: (p["landed_through"] or -1) + 1
                         for p in _stream_status(work / "serving").get("partitions", [])}
                stream = subprocess.Popen(
                    [lakehouse, "stream", "--trigger-interval", interval, "--feeds",
                     "web_events"], env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, start_new_session=True)
                try:
                    log(f"bench-stream: {rate}/s for {seconds:g}s")
                    sent, took = _produce(bootstrap, TOPIC, rate, seconds, None, seed=10 + n)
                    stopped = time.monotonic()
                    target = sum(first.values()) + sent
                    while time.monotonic() - stopped < max(120.0, seconds):
                        status = _stream_status(work / "serving")
                        landed = sum((p["landed_through"] or -1) + 1
                                     for p in status.get("partitions", []))
                        if landed >= target:
                            break  # all landed, and built: the status follows the build
                        time.sleep(0.5)
                    drained = time.monotonic() - stopped
                finally:
                    os.killpg(stream.pid, signal.SIGTERM)
                    stream.wait(300)
                backlog = target - sum((p["landed_through"] or -1) + 1 for p in
                                       _stream_status(work / "serving").get("partitions", []))
                if backlog > 0:  # not caught up in the drain window: the rest, then count
                    log(f"bench-stream: {backlog} message(s) not landed when stopped: "
                        "landing and building them before counting")
                    subprocess.run([lakehouse, "stream", "--available-now", "--feeds",
                                    "web_events"], env=env, cwd=PROJECT_DIR, check=True,
                                   capture_output=True)
                row = {"rate": rate, "produced": sent,
                       "produced_per_second": round(sent / took),
                       "drain_seconds": round(drained, 1), "backlog_at_stop": max(backlog, 0),
                       **_measure(work / "wh" / "lakehouse.duckdb", first)}
                row["lost"] = sent - row["distinct_offsets"]
                result["rates"].append(row)
                log(f"bench-stream: {json.dumps(row)}")
        finally:
            broker.stop(proc)
    return result


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x {os.cpu_count()}"
    return f"{os.cpu_count()} CPUs"


def report(result: dict) -> str:
    anchor = result["anchor"]["messages_per_second"]
    lines = [f"# Streaming benchmark ({result['cpu']}; {result['seconds']:g} s per rate, "
             f"trigger every {result['trigger_interval']}, {result['partitions']} partitions)",
             "", f"Anchor: the raw consume rate of the same client to nowhere: {anchor:,}/s.", "",
             "| rate | produced/s | landed/s vs anchor | drain (s) | backlog at stop | lost | "
             "duplicates | latency p50 (s) | p95 (s) | max (s) | builds | build p50 (s) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rates"]:
        landed_rate = r["distinct_offsets"] / (result["seconds"] + r["drain_seconds"])
        lines.append(f"| {r['rate']:,} | {r['produced_per_second']:,} | "
                     f"{landed_rate:,.0f} ({landed_rate / anchor:.3f}) | {r['drain_seconds']} | "
                     f"{r['backlog_at_stop']:,} | "
                     f"{r['lost']} | {r['duplicates']} | {r['latency_p50_seconds']} | "
                     f"{r['latency_p95_seconds']} | {r['latency_max_seconds']} | "
                     f"{r['builds']} | {r['build_p50_seconds']} |")
    return "\n".join(lines)
