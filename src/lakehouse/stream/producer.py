"""`lakehouse produce`: the generated data set's clickstream (and, optionally, its Debezium
change events) replayed onto the feeds' Kafka topics at a chosen rate, as the source systems
would publish them.

Each line of a generated file is one message, in the files' arrival order, defects included (the
simulator writes duplicates, late events, malformed lines and values of the wrong type into its
files): the clickstream keyed by session id, the change events by the row's primary key as
Debezium keys them (`{"<key>": value}`), a `null` line as the tombstone (a null value under the
deleted row's key). Topics that do not exist are created (`partitions`, no retention limit).
"""

from __future__ import annotations

import fnmatch
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from lakehouse import log as log_line
from lakehouse.build.landing import feed_metas
from lakehouse.errors import UserError
from lakehouse.stream.kafka import StreamError, client_config, feed_topics


def _key(feed_meta: dict, line: str, previous: bytes | None) -> bytes | None:
    """The message key of a generated line (None for a line that is not JSON)."""
    if line == "null":
        return previous  # Debezium's tombstone follows the delete, under its key
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if feed_meta.get("format") == "jsonl":
        session = event.get("session_id")
        return None if session is None else str(session).encode()
    event = event.get("payload", event) if "schema" in event else event
    image = (event.get("before") if event.get("op") == "d" else event.get("after")) or {}
    if not isinstance(image, dict):
        return None
    key = {field: image.get(field) for field in feed_meta.get("required", [])}
    return json.dumps(key, separators=(",", ":")).encode()


def messages(source: Path, feeds: list[str], day: int | None = None
             ) -> Iterator[tuple[str, bytes | None, bytes | None]]:
    """(topic, key, value) of every line of the data set's files of `feeds`, in arrival order."""
    manifest_path = source / "manifest.json"
    if not manifest_path.exists():
        raise UserError(f"no generated data set at {source} (manifest.json missing): run "
                        "`lakehouse generate` first, or give --source")
    topics, metas = feed_topics(), feed_metas()
    entries = json.loads(manifest_path.read_text())["files"]
    for entry in sorted(entries, key=lambda e: (e["arrival_day"], e["path"])):
        if day is not None and entry["arrival_day"] != day:
            continue
        feed = next((f for f in feeds if fnmatch.fnmatch(entry["path"], metas[f]["path"])), None)
        if feed is None:
            continue
        key: bytes | None = None
        for line in (source / "landing" / entry["path"]).read_text().splitlines():
            if not line:
                continue
            key = _key(metas[feed], line, key)
            yield topics[feed], key, None if line == "null" else line.encode()


def ensure_topics(topics: list[str], partitions: int) -> None:
    """Create the topics that are not on the broker (no retention limit: Tansu needs one set)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(client_config())
    try:
        existing = set(admin.list_topics(timeout=10).topics)
    except KafkaException as error:
        raise StreamError(f"Kafka at {client_config()['bootstrap.servers']}: "
                          f"{error.args[0].str()}") from None
    missing = [t for t in topics if t not in existing]
    if missing:
        futures = admin.create_topics([NewTopic(t, num_partitions=partitions,
                                                config={"retention.ms": "-1"}) for t in missing])
        for topic, future in futures.items():
            try:
                future.result(timeout=30)
            except KafkaException as error:
                if "TOPIC_ALREADY_EXISTS" not in str(error):
                    raise StreamError(f"creating topic {topic}: {error}") from None


def produce(source: Path, feeds: list[str], rate: float | None = None, partitions: int = 3,
            limit: int | None = None, day: int | None = None,
            log: Callable[[str], None] = log_line) -> int:
    """Send the lines of `feeds` at `rate` messages a second (None: as fast as the broker
    takes them); returns how many were sent. The producer is idempotent (no duplicate from a
    retry: the data set's own duplicates are the only ones)."""
    from confluent_kafka import Producer

    routes = feed_topics()
    unknown = sorted(set(feeds) - set(routes))
    if unknown:
        raise UserError(f"no Kafka topic declared for feed(s) {', '.join(unknown)}")
    ensure_topics([routes[f] for f in feeds], partitions)
    failures: list[str] = []

    def delivered(error: object, _message: object) -> None:
        if error is not None:
            failures.append(str(error))

    producer = Producer({**client_config(), "enable.idempotence": True, "acks": "all",
                         "linger.ms": 5, "client.id": "lakehouse-produce"})
    sent, started = 0, time.monotonic()
    for topic, key, value in messages(source, feeds, day):
        if limit is not None and sent >= limit:
            break
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: let it drain
                producer.poll(0.1)
        sent += 1
        producer.poll(0)
        while rate and (ahead := sent / rate - (time.monotonic() - started)) > 0:
            producer.poll(ahead)  # serves delivery reports while it waits
        if sent % 10_000 == 0:
            log(f"produce: {sent} message(s), {sent / (time.monotonic() - started):.0f}/s")
    left = producer.flush(60)
    if failures or left:
        raise StreamError(f"{len(failures) + left} message(s) not delivered"
                          + (f": {failures[0]}" if failures else ""))
    log(f"produce: {sent} message(s) to {', '.join(sorted({routes[f] for f in feeds}))} in "
        f"{time.monotonic() - started:.1f}s")
    return sent
