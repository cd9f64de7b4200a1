"""CDC apply benchmark: a day of changes against a rebuild, and DELETE+INSERT against MERGE.

1. Deliver days 0..D-1 and build bronze and silver from an empty warehouse (the full build),
   then deliver day D and build again (one day's increment). Per-model times come from dbt's
   run_results.json; the report gives silver's increment as a share of silver's full build.
2. On the built warehouse, apply the same batch (the current versions of the order lines the
   last day touched) to a copy of `silver.order_lines` twice, in one transaction each: as the
   `replace_touched_keys` strategy does (DELETE the touched keys, INSERT their rows) and as one
   MERGE INTO (update matched, insert not matched, delete matched keys that are gone). The
   ratio MERGE / DELETE+INSERT is the figure that chose the strategy.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb

from lakehouse.dbt import Dbt
from lakehouse.sources.generator import deliver


def _build(root: Path, log) -> dict[str, float]:
    run = Dbt.scratch(root, root / "landing", root / "warehouse.duckdb").run(
        "run", "--select", "path:models/bronze", "path:models/silver", "--quiet")
    wall = run.seconds
    times = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in run.nodes}
    times["_wall"] = wall
    log(f"bench-cdc: build took {wall:.1f}s")
    return times


def _layer(times: dict[str, float], names: list[str]) -> float:
    return sum(times.get(n, 0.0) for n in names)


def _strategies(db: Path) -> dict[str, float]:
    con = duckdb.connect(str(db))
    try:
        con.execute("create or replace temp table batch as select * from silver.order_lines "
                    "where _applied_through = (select max(_applied_through) "
                    "from silver.order_lines_history)")
        con.execute("""create or replace temp table touched as
                       select distinct order_id, line_number from silver.order_lines_history
                       where _applied_through = (select max(_applied_through)
                                                 from silver.order_lines_history)""")
        n_batch = con.execute("select count(*) from touched").fetchone()[0]  # type: ignore[index]
        n_table = con.execute("select count(*) from silver.order_lines").fetchone()[0]  # type: ignore[index]
        out: dict[str, float] = {"batch_keys": n_batch, "table_rows": n_table}
        for name, sql in {
            "delete_insert": """
                delete from t where (order_id, line_number) in
                    (select (order_id, line_number) from touched);
                insert into t select * from batch;""",
            "merge": """
                merge into t using (
                    select touched.order_id as k1, touched.line_number as k2, batch.*
                    from touched left join batch using (order_id, line_number)
                ) as s on t.order_id = s.k1 and t.line_number = s.k2
                when matched and s.order_id is null then delete
                when matched then update set
                    quantity = s.quantity, extended_price = s.extended_price,
                    discount = s.discount, tax = s.tax, return_flag = s.return_flag,
                    line_status = s.line_status, ship_date = s.ship_date,
                    commit_date = s.commit_date, receipt_date = s.receipt_date,
                    ship_instructions = s.ship_instructions, ship_mode = s.ship_mode,
                    comment = s.comment, _changed_at = s._changed_at, _lsn = s._lsn,
                    _applied_through = s._applied_through
                when not matched and s.order_id is not null then insert
                    (order_id, line_number, part_id, supplier_id, quantity, extended_price,
                     discount, tax, return_flag, line_status, ship_date, commit_date,
                     receipt_date, ship_instructions, ship_mode, comment, _changed_at, _lsn,
                     _applied_through)
                    values (s.order_id, s.line_number, s.part_id, s.supplier_id, s.quantity,
                     s.extended_price, s.discount, s.tax, s.return_flag, s.line_status,
                     s.ship_date, s.commit_date, s.receipt_date, s.ship_instructions,
                     s.ship_mode, s.comment, s._changed_at, s._lsn, s._applied_through);""",
        }.items():
            con.execute("create or replace table t as select * from silver.order_lines")
            con.execute("checkpoint")
            started = time.perf_counter()
            con.execute("begin")
            con.execute(sql)
            con.execute("commit")
            out[name] = time.perf_counter() - started
            out[f"{name}_rows"] = con.execute("select count(*) from t").fetchone()[0]  # type: ignore[index]
        con.execute("drop table t")
        return out
    finally:
        con.close()


def bench_cdc(generated: Path, work: Path, log=print) -> dict:
    manifest = json.loads((generated / "manifest.json").read_text())
    days = manifest["params"]["days"]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    deliver(generated, work / "landing", days - 1)
    full = _build(work, log)
    deliver(generated, work / "landing", days)
    increment = _build(work, log)
    bronze = [n for n in full if n.startswith(("full_", "cdc_", "web_events_raw", "ingest_",
                                                "quarantine_landing"))]
    silver = [n for n in full if n not in bronze and not n.startswith("_")]
    result = {
        "params": manifest["params"],
        "full": {"bronze": _layer(full, bronze), "silver": _layer(full, silver),
                 "wall": full["_wall"]},
        "increment": {"bronze": _layer(increment, bronze), "silver": _layer(increment, silver),
                      "wall": increment["_wall"]},
        "per_model": {"full": full, "increment": increment},
        "strategies": _strategies(work / "warehouse.duckdb"),
    }
    result["increment_share_of_full_silver"] = (result["increment"]["silver"]
                                                / result["full"]["silver"])
    s = result["strategies"]
    s["merge_over_delete_insert"] = s["merge"] / s["delete_insert"]
    return result


def report(result: dict) -> str:
    f, i, s = result["full"], result["increment"], result["strategies"]
    p = result["params"]
    return "\n".join([
        f"CDC apply at SF {p['sf']} ({p['days']} days; full = days 0..{p['days'] - 1}, "
        f"increment = day {p['days']})",
        "",
        "| run | bronze s | silver s | dbt wall s |",
        "| --- | ---: | ---: | ---: |",
        f"| full build | {f['bronze']:.2f} | {f['silver']:.2f} | {f['wall']:.1f} |",
        f"| one day's increment | {i['bronze']:.2f} | {i['silver']:.2f} | {i['wall']:.1f} |",
        "",
        f"silver increment / silver full build: {result['increment_share_of_full_silver']:.1%}",
        "",
        f"Applying {s['batch_keys']:,} touched order lines to {s['table_rows']:,} rows: "
        f"DELETE+INSERT {s['delete_insert']:.3f}s, MERGE INTO {s['merge']:.3f}s "
        f"(MERGE / DELETE+INSERT = {s['merge_over_delete_insert']:.1f}x); same result: "
        f"{s['delete_insert_rows'] == s['merge_rows']}",
    ])
