"""The stream's files in the landing zone, and the offsets they hold.

A micro-batch of one partition is one file,
`stream/<feed>/<topic>/<partition>/<first offset>-<last offset>.jsonl` (offsets zero-padded to
20 digits, so names sort by offset), one line per message: its envelope, a JSON object with
`topic`, `partition`, `offset`, `timestamp` (ms), `timestamp_type`, `key` and `value` (text, or
null: a tombstone). The feed's bronze model reads these files with its own
(`bronze_feed_globs`), unwrapping the value. A file is written under a hidden temporary name,
flushed to disk and renamed, so a reader sees all of it or nothing; the last file of a
partition says where its consumer resumes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = "stream"
NAME = re.compile(r"^(\d{20})-(\d{20})\.jsonl$")


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    timestamp: int | None
    timestamp_type: int
    key: bytes | None
    value: bytes | None

    def envelope(self) -> str:
        return json.dumps({
            "topic": self.topic, "partition": self.partition, "offset": self.offset,
            "timestamp": self.timestamp, "timestamp_type": self.timestamp_type,
            "key": _text(self.key), "value": _text(self.value),
        }, separators=(",", ":"), ensure_ascii=False)


def _text(data: bytes | None) -> str | None:
    # bytes that are not UTF-8 keep their place as replacement characters: such a value is
    # not JSON, and bronze quarantines it with its reason
    return None if data is None else data.decode("utf-8", errors="replace")


def partition_dir(landing: Path, feed: str, topic: str, partition: int) -> Path:
    return landing / ROOT / feed / topic / str(partition)


def landed_through(landing: Path, feed: str, topic: str, partition: int) -> int | None:
    """The last offset of the partition in the landing zone (None: none landed yet)."""
    folder = partition_dir(landing, feed, topic, partition)
    lasts = [int(m.group(2)) for p in folder.glob("*.jsonl") if (m := NAME.match(p.name))]
    return max(lasts, default=None)


def remove_unfinished(landing: Path, feed: str, topic: str, partition: int) -> int:
    """Remove the temporary files a killed consumer left in the partition's folder (the one
    stream process of a warehouse owns it: `lakehouse stream` holds the stream lock)."""
    removed = 0
    for tmp in partition_dir(landing, feed, topic, partition).glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def write_batch(landing: Path, feed: str, messages: Iterable[Message]) -> Path:
    """Write one partition's messages (in offset order) as one file, atomically and durably."""
    batch = list(messages)
    first, last = batch[0], batch[-1]
    folder = partition_dir(landing, feed, first.topic, first.partition)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{first.offset:020d}-{last.offset:020d}.jsonl"
    tmp = folder / f".{path.name}.tmp"
    with tmp.open("w", encoding="utf-8") as out:
        out.write("".join(m.envelope() + "\n" for m in batch))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return path
