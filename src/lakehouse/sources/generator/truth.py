"""Ground truth: what the source system really did, for tests of every layer.

Written to `<out>/truth/`, never read by the models:
- `final/<table>.parquet`: the final state of every source table (TPC-H column names).
- `history/<table>.parquet`: every version of every key, with `valid_from`, `valid_to` (null
  for the current version) and `is_deleted`. CDC tables: day-0 rows are valid from the day-0
  extract (1998-08-02 00:00 UTC), later versions from the source commit time of the change that
  made them; a delete adds a version with `is_deleted = true` holding the last values. An event
  that changes no value (a re-snapshot read) starts no version. `_lsn` is the change's sequence.
  Catalog tables: versions by extract date, a row missing from an extract is deleted from then.
- `rule_violations.parquet`: order lines of the final state that break a business rule.
- `web_events.jsonl`: every distinct clickstream event, flagged `is_late` when delivered late.
- `defects.json`: the count of every defect injected, per feed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

import lakehouse.sources.generator.rates as r


def _keys(table: str) -> str:
    return ", ".join(r.KEYS[table])


def _img_keys(table: str) -> str:
    return ", ".join(f"img.{k} as {k}" for k in r.KEYS[table])


def write_truth(con: duckdb.DuckDBPyConnection, out: Path, web_events: list[dict[str, Any]],
                defects: dict[str, Any]) -> None:
    for sub in ("final", "history"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for table in r.ALL_TABLES:
        con.execute(f"copy (select * from {table} order by {_keys(table)}) "
                    f"to '{out / 'final' / table}.parquet' (format parquet)")
    day0 = f"timestamp '{r.DAY0.isoformat()} 00:00:00'"
    for table in r.CDC_TABLES:
        keys = _keys(table)
        con.execute(f"""
            copy (
                with versions as (
                    select t as img, {day0} as valid_from, 0::bigint as lsn,
                           false as is_deleted
                    from day0_{table} as t
                    union all
                    select coalesce(after, before), make_timestamp(ts_us), lsn, op = 'd'
                    from ev_{table}
                ),
                hashed as (
                    select *, {_img_keys(table)}, hash(img, is_deleted) as h from versions
                ),
                changed as (
                    select * from hashed
                    qualify lag(h) over (partition by {keys} order by lsn) is distinct from h
                )
                select unnest(img), valid_from,
                       lead(valid_from) over (partition by {keys} order by lsn) as valid_to,
                       is_deleted, lsn as _lsn
                from changed
                order by {keys}, valid_from
            ) to '{out / 'history' / table}.parquet' (format parquet)""")
    for table in r.CATALOG_TABLES:
        keys = _keys(table)
        con.execute(f"""
            copy (
                with obs as (select day, {_img_keys(table)}, img from ext_{table}),
                grid as (
                    select k.*, d.day
                    from (select distinct {keys} from obs) as k
                    cross join (select distinct day from obs) as d
                ),
                state as (
                    select grid.*, obs.img is null as absent,
                           last_value(obs.img ignore nulls) over (
                               partition by {", ".join(f"grid.{k}" for k in r.KEYS[table])}
                               order by grid.day
                               rows between unbounded preceding and current row) as last_img
                    from grid left join obs using ({keys}, day)
                ),
                changed as (
                    select * from state
                    where last_img is not null
                    qualify lag(hash(last_img, absent)) over (
                        partition by {keys} order by day) is distinct from hash(last_img, absent)
                )
                select unnest(last_img),
                       (date '{r.DAY0.isoformat()}' + day)::timestamp as valid_from,
                       lead((date '{r.DAY0.isoformat()}' + day)::timestamp) over (
                           partition by {keys} order by day) as valid_to,
                       absent as is_deleted
                from changed
                order by {keys}, valid_from
            ) to '{out / 'history' / table}.parquet' (format parquet)""")
    con.execute(f"""
        copy (
            select l.l_orderkey, l.l_linenumber, rule
            from lineitem as l
            join orders as o on o.o_orderkey = l.l_orderkey
            cross join unnest([
                case when l.l_quantity <= 0 then 'negative_quantity' end,
                case when l.l_shipmode not in ('REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL',
                                               'FOB') then 'unknown_ship_mode' end,
                case when l.l_shipdate < o.o_orderdate then 'ship_before_order' end
            ]) as u(rule)
            where rule is not null
            order by all
        ) to '{out / 'rule_violations.parquet'}' (format parquet)""")
    with (out / "web_events.jsonl").open("w") as fh:
        for event in web_events:
            fh.write(json.dumps(event, separators=(",", ":")) + "\n")
    (out / "defects.json").write_text(json.dumps(defects, indent=2, sort_keys=True) + "\n")
