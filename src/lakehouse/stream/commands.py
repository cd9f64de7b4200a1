"""The real-time subcommands: `stream` (the feeds' Kafka topics through the build), `produce`
(the simulator's events onto Kafka) and `broker` (a local Kafka-protocol broker)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from lakehouse import log
from lakehouse.config import DB, GENERATED, LANDING, Settings


def duration(text: str) -> float:
    """`--trigger-interval`: seconds, as `5`, `5s`, `500ms` or `1m`."""
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0))
    for suffix, factor in units:
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            value = float(text[: -len(suffix)]) * factor
            break
    else:
        if not text.replace(".", "", 1).isdigit():
            raise argparse.ArgumentTypeError(f"'{text}' is not a duration (e.g. 5s, 500ms)")
        value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("the interval must be above 0")
    return value


def cmd_stream(args: argparse.Namespace) -> int:
    from lakehouse.stream.consumer import run_stream

    stats = run_stream(Settings.from_env((DB, LANDING)), available_now=args.available_now,
                       interval=args.trigger_interval, feeds=args.feeds or None,
                       starting_offsets=args.starting_offsets, max_messages=args.max_messages,
                       build=not args.no_build, publish=args.publish, log=log)
    return 1 if stats.failed_builds else 0


def cmd_produce(args: argparse.Namespace) -> int:
    from lakehouse.stream.producer import produce

    source = Path(args.source) if args.source else Settings.from_env((GENERATED,)).generated
    produce(source, args.feeds, rate=args.rate or None, partitions=args.partitions,
            limit=args.limit, day=args.day, log=log)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    import json

    from lakehouse.stream.reconcile import COLUMNS, reconcile

    settings = Settings.from_env((DB, LANDING))
    rows = reconcile(settings.landing, settings.db)
    if args.json:
        print(json.dumps(rows))
    else:
        print("  ".join(COLUMNS))
        for row in rows:
            print("  ".join(str(row[c]) for c in COLUMNS))
    unsound = [r for r in rows if r["duplicates"] or r["unaccounted"] or r["gaps"]]
    for r in unsound:
        log(f"stream-reconcile: {r['topic']}[{r['partition']}]: {r['duplicates']} duplicate(s), "
            f"{r['unaccounted']} offset(s) not in bronze, {r['gaps']} gap(s)")
    return 1 if unsound else 0


def cmd_broker(args: argparse.Namespace) -> int:
    from lakehouse.stream import broker

    proc = broker.start(args.port)
    log(f"broker: Tansu on 127.0.0.1:{args.port} (memory only; Ctrl-C stops it)")

    def stop(*_: object) -> None:
        broker.stop(proc)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        return proc.wait()
    finally:
        broker.stop(proc)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stream", help="consume the feeds' Kafka topics into bronze and build, exactly once",
        description="Consume the Kafka topics the landing feeds declare (meta.kafka_topic) into "
        "the landing zone (stream/<feed>/<topic>/<partition>/), commit their offsets, and build "
        "what the streamed feeds feed, trigger after trigger. Kafka settings from "
        "LAKEHOUSE_KAFKA_* (docs/streaming.md).")
    trigger = p.add_mutually_exclusive_group()
    trigger.add_argument("--available-now", action="store_true",
                         help="consume what the topics hold, build, and stop")
    trigger.add_argument("--trigger-interval", type=duration, default=5.0, metavar="DURATION",
                         help="a micro-batch every DURATION (default 5s) until stopped")
    p.add_argument("--feeds", nargs="+", metavar="FEED",
                   help="only these feeds' topics (default: every feed with a topic)")
    p.add_argument("--starting-offsets", choices=("earliest", "latest"), default="earliest",
                   help="where a partition with nothing landed and no committed offset starts")
    p.add_argument("--max-messages", type=int, default=100_000,
                   help="at most this many messages per trigger (default 100000)")
    p.add_argument("--no-build", action="store_true",
                   help="only land the messages (a later `lakehouse run` builds them)")
    p.add_argument("--publish", action="store_true",
                   help="publish gold for BI tools after each build")
    p.set_defaults(func=cmd_stream)

    p = sub.add_parser("produce", help="replay the generated events onto Kafka at a rate",
                       description="Replay the generated data set's clickstream (and, with "
                       "--feeds, its change events) onto the feeds' topics, a message per line, "
                       "defects included.")
    p.add_argument("--source", help="the generated data set (default $LAKEHOUSE_GENERATED)")
    p.add_argument("--feeds", nargs="+", default=["web_events"], metavar="FEED",
                   help="feeds to replay (default web_events; e.g. cdc_orders cdc_lineitem)")
    p.add_argument("--rate", type=float, default=1000.0,
                   help="messages a second (default 1000; 0: as fast as possible)")
    p.add_argument("--partitions", type=int, default=3,
                   help="partitions of a topic it creates (default 3)")
    p.add_argument("--limit", type=int, help="stop after this many messages")
    p.add_argument("--day", type=int, help="only the files arriving on this day")
    p.set_defaults(func=cmd_produce)

    p = sub.add_parser("stream-reconcile",
                       help="per partition: every offset landed is in bronze exactly once",
                       description="Reconcile the streamed partitions: the offsets landed, "
                       "loaded, quarantined and tombstones; exits 1 on a duplicate, an offset "
                       "not in bronze, or a gap.")
    p.add_argument("--json", action="store_true", help="JSON rows")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("broker", help="run a local Kafka-protocol broker (Tansu) until Ctrl-C",
                       description="Run Tansu, a Kafka-protocol broker, on 127.0.0.1 with "
                       "memory-only storage, for `lakehouse stream` and `lakehouse produce`.")
    p.add_argument("--port", type=int, default=9092, help="port (default 9092)")
    p.set_defaults(func=cmd_broker)
