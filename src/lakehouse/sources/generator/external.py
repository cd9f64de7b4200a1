"""An external operational database, for bronze's "JDBC" path: the loyalty programme's CRM.

Written as a SQLite file (`<out>/external/crm.sqlite`) with one table, `loyalty_members`: a
share of the customers with their tier and points, and `updated_at`, the column an incremental
reader uses as its watermark (as a Databricks JDBC read with a predicate on it would).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import lakehouse.sources.generator.rates as r

TIERS = ("bronze", "silver", "gold", "platinum")
MEMBER_SHARE = 0.05


def write_crm(out: Path, customers: list[int], seed: int) -> int:
    """Write the CRM database; returns the number of members."""
    path = out / "external" / "crm.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rng = random.Random(f"{seed}:crm")
    members = sorted(rng.sample(customers, max(1, round(MEMBER_SHARE * len(customers)))))
    day0 = dt.datetime.combine(r.DAY0, dt.time())
    rows = [
        (key, rng.choice(TIERS), rng.randrange(0, 50_000),
         (day0 - dt.timedelta(days=rng.randrange(1, 2000))).date().isoformat(),
         (day0 - dt.timedelta(seconds=rng.randrange(1, 86400 * 30))).isoformat(sep=" "))
        for key in members
    ]
    with sqlite3.connect(path) as con:
        con.execute("""create table loyalty_members (
                           customer_key integer primary key,
                           tier text not null,
                           points integer not null,
                           enrolled_on text not null,
                           updated_at text not null)""")
        con.executemany("insert into loyalty_members values (?, ?, ?, ?, ?)", rows)
    return len(rows)
