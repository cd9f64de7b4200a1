"""`lakehouse stream`: the feeds' Kafka topics into the landing zone and through the build,
exactly once, in micro-batches (Structured Streaming's triggers: AvailableNow, or a
processing-time interval).

Each trigger consumes what the assigned partitions hold (up to `max_messages`), writes each
partition's messages as one landing file (`landing.write_batch`), commits their offsets to the
consumer group, and builds what the streamed feeds feed (`lakehouse run`'s pipeline without the
docs: bronze ingests the files exactly once, then only the models downstream of the feeds that
had files). The offsets live in the landing zone: a restarted consumer resumes after the last
file of each partition (or at the group's committed offset, if later), so a consumer killed
before, during or after writing a file, or a build killed while it reads one, loses and repeats
nothing. A build waits for a `lakehouse run` or a Dagster run on the same warehouse to end (the
run lock), and they for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse import log as log_line
from lakehouse.config import Settings
from lakehouse.errors import PipelineError, UserError
from lakehouse.stream import landing
from lakehouse.stream.kafka import StreamError, client_config, feed_topics, group_id

if TYPE_CHECKING:
    from confluent_kafka import Consumer


STARTING = ("earliest", "latest")


@dataclass
class Stats:
    triggers: int = 0
    messages: int = 0
    files: int = 0
    builds: int = 0
    failed_builds: int = 0
    last_trigger: dict = field(default_factory=dict)  # the last that brought messages


def status_path(settings: Settings) -> Path:
    """Where the stream says how it is doing, for the dashboard's live page: `stream.json`
    in the serving directory (beside the published copy the page reads)."""
    return settings.serving_dir / "stream.json"


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _lock(db: Path):
    """The warehouse's stream lock (`<db>.stream.lock`): one consumer owns its partitions'
    landing folders."""
    db.parent.mkdir(parents=True, exist_ok=True)
    handle = db.with_name(db.name + ".stream.lock").open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UserError(f"another `lakehouse stream` consumes into {db}; one per warehouse"
                        ) from None
    return handle


class Stream:
    """The consumer of the feeds' topics, with its partitions and where each resumes."""

    def __init__(self, settings: Settings, feeds: list[str] | None = None,
                 starting_offsets: str = "earliest", log: Callable[[str], None] = log_line
                 ) -> None:
        from confluent_kafka import Consumer

        routes = feed_topics()
        unknown = sorted(set(feeds or ()) - set(routes))
        if unknown:
            raise UserError(f"no Kafka topic declared for feed(s) {', '.join(unknown)} "
                            f"(feeds with one: {', '.join(sorted(routes))})")
        self.topics = {topic: feed for feed, topic in routes.items() if not feeds or feed in feeds}
        self.settings, self.log, self.starting = settings, log, starting_offsets
        self.group = group_id(f"lakehouse-{settings.db.stem}")
        self.consumer: Consumer = Consumer({
            **client_config(), "group.id": self.group, "enable.auto.commit": False,
            "enable.partition.eof": True, "auto.offset.reset": starting_offsets,
            "isolation.level": "read_committed", "client.id": "lakehouse-stream",
        })
        self.assigned: dict[tuple[str, int], str] = {}  # (topic, partition) -> feed
        self.at_end: set[tuple[str, int]] = set()
        self.missing: set[str] = set()

    def discover(self) -> None:
        """Assign the topics' partitions not yet assigned (new topics and partitions are picked
        up as they appear), each from where the landing zone says it stopped."""
        from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaException, TopicPartition

        try:
            metadata = self.consumer.list_topics(timeout=10)
        except KafkaException as error:
            raise StreamError(f"Kafka at {client_config()['bootstrap.servers']}: "
                              f"{error.args[0].str()}") from None
        new: list[TopicPartition] = []
        for topic, feed in sorted(self.topics.items()):
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                if topic not in self.missing:
                    self.log(f"stream: topic {topic} (feed {feed}) is not on the broker yet")
                    self.missing.add(topic)
                continue
            self.missing.discard(topic)
            fresh = [p for p in sorted(found.partitions) if (topic, p) not in self.assigned]
            committed = {tp.partition: tp.offset for tp in self.consumer.committed(
                [TopicPartition(topic, p) for p in fresh], timeout=10)} if fresh else {}
            for partition in fresh:
                landing.remove_unfinished(self.settings.landing, feed, topic, partition)
                through = landing.landed_through(self.settings.landing, feed, topic, partition)
                resume = max(through + 1 if through is not None else -1,
                             committed.get(partition, -1))
                if resume < 0:
                    resume = OFFSET_BEGINNING if self.starting == "earliest" else OFFSET_END
                new.append(TopicPartition(topic, partition, resume))
                self.assigned[(topic, partition)] = feed
        if new:
            self.consumer.incremental_assign(new)
            self.log("stream: consuming " + ", ".join(
                f"{tp.topic}[{tp.partition}]@{tp.offset if tp.offset >= 0 else self.starting}"
                for tp in new))

    def poll(self, deadline: float, max_messages: int, fired_at: float | None = None
             ) -> dict[tuple[str, int], list[landing.Message]]:
        """Consume until `deadline` (or `max_messages`, or every assigned partition at its
        end): the messages per partition, in offset order. With `fired_at`
        (a processing-time trigger's start, epoch seconds) a partition is also done at its
        first message produced from then on: as a Spark trigger takes the offsets there are
        when it fires, what arrives later is the next trigger's (else a steady stream kept
        every trigger consuming until its deadline, and its messages waiting)."""
        from confluent_kafka import KafkaError

        batches: dict[tuple[str, int], list[landing.Message]] = defaultdict(list)
        count = 0
        done: set[tuple[str, int]] = set()  # partitions past the trigger's firing
        polled = False  # (a partition marked at its end may have had messages since)
        while count < max_messages:
            if polled and self.assigned and self.at_end | done >= set(self.assigned):
                break
            polled = True
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for m in self.consumer.consume(min(10_000, max_messages - count), min(left, 0.5)):
                key = (m.topic(), m.partition())
                error = m.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        self.at_end.add(key)
                    elif error.fatal():
                        raise StreamError(f"Kafka: {error.str()}")
                    else:
                        self.log(f"stream: {error.str()} (retrying)")
                    continue
                self.at_end.discard(key)
                ts_type, ts = m.timestamp()
                if fired_at is not None and ts_type and ts >= fired_at * 1000:
                    done.add(key)
                batches[key].append(landing.Message(m.topic(), m.partition(), m.offset(),
                                                    ts if ts_type else None, ts_type,
                                                    m.key(), m.value()))
                count += 1
        return batches

    def land(self, batches: dict[tuple[str, int], list[landing.Message]], stats: Stats) -> None:
        """Write each partition's batch as a landing file, then commit the offsets after them."""
        from confluent_kafka import KafkaException, TopicPartition

        commits = []
        for (topic, partition), messages in sorted(batches.items()):
            landing.write_batch(self.settings.landing, self.assigned[(topic, partition)],
                                messages)
            commits.append(TopicPartition(topic, partition, messages[-1].offset + 1))
            stats.files += 1
            stats.messages += len(messages)
        if commits:
            try:  # the landing zone is where the consumer resumes; the group's offsets follow
                self.consumer.commit(offsets=commits, asynchronous=False)
            except KafkaException as error:
                self.log(f"stream: offsets not committed ({error.args[0].str()}); the landing "
                         "zone has them")

    def progress(self) -> list[dict]:
        """Per partition: the last offset landed, the broker's end offset and the lag (0 for
        a partition the consumer has read to its end: Tansu's end offsets are not reliable)."""
        from confluent_kafka import KafkaException, TopicPartition

        rows = []
        for (topic, partition), feed in sorted(self.assigned.items()):
            through = landing.landed_through(self.settings.landing, feed, topic, partition)
            try:
                _, end = self.consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=2, cached=False)
            except KafkaException:
                end = None
            next_offset = -1 if through is None else through + 1
            lag = 0 if (topic, partition) in self.at_end or end is None else max(
                0, end - max(next_offset, 0))
            rows.append({"topic": topic, "partition": partition, "feed": feed,
                         "landed_through": through, "end_offset": end, "lag": lag})
        return rows

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.consumer.close()


def run_stream(settings: Settings, available_now: bool = False, interval: float = 5.0,
               feeds: list[str] | None = None, starting_offsets: str = "earliest",
               max_messages: int = 100_000, build: bool = True, publish: bool = False,
               log: Callable[[str], None] = log_line) -> Stats:
    """Consume the feeds' topics and build, trigger after trigger: with `available_now` until
    every partition is at its end (then one last build, and return), else every `interval`
    seconds until stopped (SIGINT or SIGTERM: the trigger under way lands what it consumed)."""
    from lakehouse.build.pipeline import run_pipeline
    from lakehouse.dbt import Dbt
    from lakehouse.launcher import Launcher

    lock = _lock(settings.db)
    settings.export()
    stream = Stream(settings, feeds, starting_offsets, log)
    # each trigger's dbt commands forked from a process that imported dbt once: a third of a
    # small trigger's build was dbt's imports
    launcher = Launcher()
    stats = Stats()
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        pending_build = build  # what a killed predecessor landed is built first
        while not stopping:
            started, fired_at = time.monotonic(), time.time()
            stream.discover()
            # AvailableNow: until every partition is at its end; a processing-time trigger:
            # what there is when it fires (at most an interval of consuming)
            batches = stream.poll(
                started + (300.0 if available_now else interval), max_messages,
                fired_at=None if available_now else fired_at)
            stream.land(batches, stats)
            consumed = time.monotonic() - started  # the trigger's consuming and landing
            stats.triggers += 1
            if batches:
                log(f"stream: trigger {stats.triggers}: {sum(map(len, batches.values()))} "
                    f"message(s) into {len(batches)} file(s)")
            done = available_now and stream.at_end >= set(stream.assigned) and not batches
            if build and (batches or pending_build):
                stats.builds += 1
                try:
                    run_pipeline(settings, docs=False,
                                 publish_to=settings.serving_dir if publish else None, log=log,
                                 dbt=Dbt(launch=launcher.measure))
                except PipelineError as error:
                    stats.failed_builds += 1
                    log(f"stream: the build failed ({str(error).splitlines()[0]}); its files "
                        "stay pending for the next trigger")
                    if available_now:
                        raise
                pending_build = False
            _write_status(status_path(settings), stream, stats, batches, consumed,
                          visible_at=time.time(), built=build and bool(batches),
                          interval=interval)
            if done or (available_now and not stream.assigned and not stream.missing):
                break
            if available_now and stream.missing and not stream.assigned:
                raise UserError("none of the topics is on the broker: "
                                + ", ".join(sorted(stream.missing)))
            if not available_now:
                time.sleep(max(0.0, started + interval - time.monotonic()))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stream.close()
        launcher.stop()
        lock.close()
    log(f"stream: {stats.messages} message(s) in {stats.files} file(s) over {stats.triggers} "
        f"trigger(s), {stats.builds} build(s)" + (
            f", {stats.failed_builds} failed" if stats.failed_builds else ""))
    return stats


def _write_status(path: Path, stream: Stream, stats: Stats,
                  batches: dict[tuple[str, int], list[landing.Message]], consumed: float,
                  visible_at: float, built: bool, interval: float) -> None:
    """The live page's view of the stream after a trigger: its partitions with their lag, the
    trigger's messages and rate, and its end-to-end latency (from each message's Kafka
    timestamp to when the build that took it ended), written atomically."""
    import datetime as dt
    import json

    messages = [m for batch in batches.values() for m in batch]
    if messages:
        latencies = [visible_at - m.timestamp / 1000 for m in messages if m.timestamp and built]
        stats.last_trigger = {
            "trigger": stats.triggers, "messages": len(messages), "files": len(batches),
            "messages_per_second": round(len(messages) / max(consumed, 1e-3), 1),
            "latency_seconds": {"p50": _percentile(latencies, 0.5),
                                "p95": _percentile(latencies, 0.95),
                                "max": max(latencies, default=None)},
        }
    status = {
        "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" "),
        "group": stream.group, "trigger_interval_seconds": interval, "triggers": stats.triggers,
        "messages_total": stats.messages, "builds": stats.builds,
        "failed_builds": stats.failed_builds, "last_trigger": stats.last_trigger,
        "partitions": stream.progress(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(status, indent=1))
    tmp.replace(path)
