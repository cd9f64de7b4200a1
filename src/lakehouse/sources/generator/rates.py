"""Change mix and defect rates of the retail source simulator.

Every rate is a fraction of the live rows of a table at the start of a simulated day, rounded
up (so each kind of change happens at least once a day, even at tiny scale factors). The README's
"Landing-zone contract" section documents the same table; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
import sys
from types import SimpleNamespace

DAY0 = dt.date(1998, 8, 2)
"""Day 0: the dbgen extract date, the last order date of the TPC-H calendar."""

CDC_TABLES = ("customer", "orders", "lineitem")
CATALOG_TABLES = ("part", "supplier", "partsupp")
ALL_TABLES = CDC_TABLES + CATALOG_TABLES

KEYS: dict[str, tuple[str, ...]] = {
    "customer": ("c_custkey",),
    "orders": ("o_orderkey",),
    "lineitem": ("l_orderkey", "l_linenumber"),
    "part": ("p_partkey",),
    "supplier": ("s_suppkey",),
    "partsupp": ("ps_partkey", "ps_suppkey"),
}

# Daily CDC change mix (fractions of live rows).
CUSTOMER_UPDATE = 0.005  # address+phone, segment or balance change
CUSTOMER_SECOND_UPDATE = 0.2  # share of updated customers updated again later the same day
CUSTOMER_NEW = 0.001
CUSTOMER_DELETE_REINSERT = 0.0002  # customers without orders, deleted then re-inserted
ORDER_NEW = 0.001  # TPC-H RF1: new orders with 1..7 lines
ORDER_DELETE = 0.001  # TPC-H RF2: orders deleted with their lines
ORDER_DELETE_REINSERT = 0.0001  # order and lines deleted, re-inserted later the same day
ORDER_LINE_PROGRESS = 0.005  # orders whose open lines ship (60 % each) or whose shipped lines return
CUSTOMER_RESNAPSHOT = 0.001  # op 'r' re-snapshot reads, on day RESNAPSHOT_DAY only
RESNAPSHOT_DAY = 4

# Rule-breaking order lines injected among each day's new lines (one of each kind a day).
RULE_BREAKERS = ("negative_quantity", "unknown_ship_mode", "ship_before_order")
UNKNOWN_SHIP_MODE = "DRONE"

# Daily catalog full extract changes (fractions of live rows).
PART_PRICE_CHANGE = 0.01
PART_NEW = 0.001
PART_REMOVED = 0.0005
SUPPLIER_BALANCE_CHANGE = 0.01
SUPPLIER_NEW = 0.001
SUPPLIER_REMOVED = 0.001
PARTSUPP_COST_CHANGE = 0.01
PARTSUPP_REMOVED = 0.001

# Change-feed defects.
EVENTS_PER_FILE = 5000  # a table-day is split into max(2, ceil(events / 5000)) files
DUPLICATE_EVENTS = 0.005  # re-delivered copies, in the next day's first file (last day: same day)
OUT_OF_ORDER_KEYS = 0.25  # of keys with 2+ events a day: first event moved to the next file
LATE_FILE_EVERY = 3  # on days d with d % 3 == 2 the last file of each CDC table ...
LATE_FILE_DELAY = 2  # ... arrives 2 days later (only when that day is simulated)

# Debezium connector settings per table: (decimal.handling.mode, date encoding).
ENCODING: dict[str, tuple[str, str]] = {
    "customer": ("string", "days"),
    "orders": ("double", "days"),
    "lineitem": ("double", "iso"),
}

# Web clickstream.
SESSIONS_PER_SF = 20000  # sessions a day per unit of scale factor
LOGGED_IN_SHARE = 0.6
WEB_MALFORMED = 0.002
WEB_DUPLICATE = 0.005
WEB_LATE = 0.01
WEB_WRONG_TYPE = 0.001  # part_key written as a string such as "P-123"
WEB_NEW_FIELD = "device"
WEB_NEW_FIELD_DAY = 3  # from this day on (when simulated) events carry the new field
WEB_EVENTS_PER_FILE = 20000

# The day's change volume, scaled together by `generate --change-scale` (the bench's change-size
# axis): the CDC change mix, the catalog changes and the web sessions. Shares within a change
# (second updates, defects, duplicates, late events) stay as they are.
DAILY_VOLUME = (
    "CUSTOMER_UPDATE", "CUSTOMER_NEW", "CUSTOMER_DELETE_REINSERT", "ORDER_NEW", "ORDER_DELETE",
    "ORDER_DELETE_REINSERT", "ORDER_LINE_PROGRESS", "CUSTOMER_RESNAPSHOT", "PART_PRICE_CHANGE",
    "PART_NEW", "PART_REMOVED", "SUPPLIER_BALANCE_CHANGE", "SUPPLIER_NEW", "SUPPLIER_REMOVED",
    "PARTSUPP_COST_CHANGE", "PARTSUPP_REMOVED", "SESSIONS_PER_SF",
)
MAX_CHANGE_SCALE = 20.0
"""Above it the simulator's draws would overlap (e.g. order deletes reach the re-insert range)."""


def scaled(change_scale: float = 1.0) -> SimpleNamespace:
    """These rates with the day's change volume (`DAILY_VOLUME`) multiplied by `change_scale`."""
    if not 0 < change_scale <= MAX_CHANGE_SCALE:
        raise ValueError(f"change scale {change_scale:g} is outside (0, {MAX_CHANGE_SCALE:g}]")
    module = sys.modules[__name__]
    constants = {name: getattr(module, name) for name in dir(module) if name.isupper()}
    return SimpleNamespace(**{
        name: value * change_scale if name in DAILY_VOLUME else value
        for name, value in constants.items()
    })
