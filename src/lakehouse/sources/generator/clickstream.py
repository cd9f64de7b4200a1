"""Web clickstream events, written as the landing zone's `events/` files (JSON lines).

A session walks a funnel: page views and searches, product views (a page view with a part key),
add to cart, checkout, purchase, dropping out at each step. Defects at the rates in `rates`:
malformed lines, duplicated events, late events (yesterday's events in today's files), a
`part_key` of the wrong type, and from `WEB_NEW_FIELD_DAY` on, a new field (`device`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from pathlib import Path
from typing import Any

import lakehouse.sources.generator.rates as r

DEVICES = ("desktop", "mobile", "tablet")


def _session(rng: random.Random, date: dt.date, day: int, customers: list[int],
             parts: int) -> list[dict[str, Any]]:
    start = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(86400 - 3600))
    session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    customer = rng.choice(customers) if rng.random() < r.LOGGED_IN_SHARE else None
    device = rng.choice(DEVICES)
    steps: list[tuple[str, int | None]] = [("page_view", None)]
    if rng.random() < 0.5:
        steps.append(("search", None))
    part = 1 + rng.randrange(parts)
    steps.append(("page_view", part))
    for event_type, p_next in (("add_to_cart", 0.35), ("checkout", 0.6), ("purchase", 0.7)):
        if rng.random() >= p_next:
            break
        steps.append((event_type, part))
    events = []
    ts = start
    for event_type, part_key in steps:
        ts += dt.timedelta(seconds=rng.randrange(5, 300), microseconds=rng.randrange(1_000_000))
        event = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_type": event_type,
            "session_id": session_id,
            "customer_key": customer,
            "part_key": part_key,
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if day >= r.WEB_NEW_FIELD_DAY:
            event[r.WEB_NEW_FIELD] = device
        events.append(event)
    return events


def write_clickstream(landing: Path, days: int, sf: float, seed: int, customers: list[int],
                      parts: int, change_scale: float = 1.0,
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """Write days 1..N of events; returns manifest entries, the true events and defect counts."""
    counts = {"malformed_lines": 0, "duplicate_events": 0, "late_events": 0,
              "wrong_type_part_key": 0, "events": 0, "files": 0,
              "new_field_day": r.WEB_NEW_FIELD_DAY if days >= r.WEB_NEW_FIELD_DAY else 0}
    truth: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    held_back: list[dict[str, Any]] = []
    sessions = max(10, round(r.scaled(change_scale).SESSIONS_PER_SF * sf))
    for day in range(1, days + 1):
        date = r.DAY0 + dt.timedelta(days=day)
        rng = random.Random(f"{seed}:web:{day}")
        events: list[dict[str, Any]] = []
        for _ in range(sessions):
            events.extend(_session(rng, date, day, customers, parts))
        for event in events:
            if rng.random() < r.WEB_WRONG_TYPE and event["part_key"] is not None:
                event["part_key"] = f"P-{event['part_key']}"
                counts["wrong_type_part_key"] += 1
        events.sort(key=lambda e: e["ts"])
        # late: some of today's events are held back to tomorrow's files (last day: none)
        today, late = [], []
        for event in events:
            (late if day < days and rng.random() < r.WEB_LATE else today).append(event)
        truth.extend({**e, "is_late": False} for e in today)
        truth.extend({**e, "is_late": True} for e in late)
        delivered = held_back + today
        counts["late_events"] += len(held_back)
        held_back = late
        lines = [json.dumps(e, separators=(",", ":")) for e in delivered]
        for i in sorted(rng.sample(range(len(lines)), max(1, round(r.WEB_DUPLICATE * len(lines)))),
                        reverse=True):
            lines.insert(min(len(lines), i + rng.randrange(1, 50)), lines[i])
            counts["duplicate_events"] += 1
        n_bad = max(1, round(r.WEB_MALFORMED * len(lines)))
        for i in sorted(rng.sample(range(len(lines)), n_bad), reverse=True):
            line = lines[i]
            bad = line[: len(line) // 2] if i % 2 else "<html>502 Bad Gateway</html>"
            lines.insert(i, bad)
            counts["malformed_lines"] += 1
        counts["events"] += len(delivered)
        n_files = max(1, math.ceil(len(lines) / r.WEB_EVENTS_PER_FILE))
        per_file = math.ceil(len(lines) / n_files)
        for f in range(n_files):
            rel = f"events/{date.isoformat()}/{f + 1:04d}.jsonl"
            path = landing / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            chunk = lines[f * per_file:(f + 1) * per_file]
            path.write_text("\n".join(chunk) + "\n")
            counts["files"] += 1
            entries.append({"path": rel, "data_day": day, "arrival_day": day,
                            "lines": len(chunk)})
    return entries, truth, counts
