"""The retail source simulator: landing files that real tools would write, and their truth.

`generate()` writes, under an output directory:
- `landing/`: every file of the landing-zone contract (`full/`, `cdc/`, `events/`), as the
  source would deliver them over the simulated days;
- `truth/`: the exact final state, version history and defect counts (see `truth.py`);
- `external/crm.sqlite`: an operational database for bronze's attached-database path;
- `manifest.json`: the parameters and, per file, the day it describes and the day it arrives.
`deliver()` copies the files that have arrived by a given day into a landing zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

import lakehouse.sources.generator.rates as r
from lakehouse.sources.generator.clickstream import write_clickstream
from lakehouse.sources.generator.debezium import CdcWriter
from lakehouse.sources.generator.external import write_crm
from lakehouse.sources.generator.simulate import Drift, Simulation
from lakehouse.sources.generator.truth import write_truth

GENERATOR_VERSION = 1


def data_set_params(sf: float, days: int, seed: int, change_scale: float = 1.0,
                    drift: Drift | None = None) -> dict[str, Any]:
    """The parameters that identify a data set (`params` in its manifest.json)."""
    return {"sf": sf, "days": days, "seed": seed, "change_scale": change_scale,
            "generator_version": GENERATOR_VERSION,
            **({"drift": dataclasses.asdict(drift)} if drift else {})}


def _date(day: int) -> dt.date:
    return r.DAY0 + dt.timedelta(days=day)


def _extract(con: duckdb.DuckDBPyConnection, landing: Path, table: str, day: int) -> dict[str, Any]:
    rel = f"full/{table}/{_date(day).isoformat()}/part-0000.parquet"
    (landing / rel).parent.mkdir(parents=True, exist_ok=True)
    keys = ", ".join(r.KEYS[table])
    con.execute(f"copy (select * from {table} order by {keys}) to '{landing / rel}' "
                "(format parquet, compression zstd)")
    rows = con.execute(f"select count(*) from {table}").fetchone()
    return {"path": rel, "data_day": day, "arrival_day": day, "lines": rows[0] if rows else 0}


def generate(out: Path, sf: float = 0.1, days: int = 7, seed: int = 42,
             log: Callable[[str], None] = print, memory_limit: str = "8GB",
             change_scale: float = 1.0, drift: Drift | None = None) -> dict[str, Any]:
    """Simulate the source for `days` days after day 0 and write landing files and truth; the
    day's change volume is the rates' (`rates.py`) times `change_scale`; `drift` slows one
    ship mode's deliveries from a day on (`simulate.Drift`)."""
    params = data_set_params(sf, days, seed, change_scale, drift)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("landing", "truth", "external", "manifest.json"):
        target = out / sub
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    landing = out / "landing"
    started = time.monotonic()

    def step(message: str) -> None:
        log(f"[{time.monotonic() - started:7.1f}s] {message}")

    con = duckdb.connect(config={"memory_limit": memory_limit})
    from duckdb_extensions import import_extension

    import_extension("tpch", con=con)
    con.load_extension("tpch")
    step(f"dbgen sf={sf}" + (f", change scale {change_scale:g}" if change_scale != 1 else "")
         + (f", drift: {drift.ship_mode} deliveries {drift.delay_days:+d} days from day "
            f"{drift.from_day}" if drift else ""))
    sim = Simulation(con, sf, seed, change_scale, drift)
    files = [_extract(con, landing, t, 0) for t in r.ALL_TABLES]
    step(f"day 0 ({_date(0)}): full extracts of {', '.join(r.ALL_TABLES)}")
    writer = CdcWriter(con, landing, days, seed)
    injected: dict[str, int] = {}
    for day in range(1, days + 1):
        sim.catalog_day(day)
        files += [_extract(con, landing, t, day) for t in r.CATALOG_TABLES]
        for kind, count in sim.cdc_day(day, _date(day)).items():
            injected[kind] = injected.get(kind, 0) + count
        for table in r.CDC_TABLES:
            files += writer.write_day(table, day, _date(day))
        step(f"day {day}/{days} ({_date(day)}): catalog extracts and change events written")
    customers = [row[0] for row in con.execute("select c_custkey from day0_customer").fetchall()]
    parts = int(con.execute("select count(*) from ext_part where day = 0").fetchone()[0])  # type: ignore[index]
    web_files, web_truth, web_counts = write_clickstream(landing, days, sf, seed, customers, parts,
                                                           change_scale)
    files += web_files
    step(f"web clickstream: {web_counts['events']} events in {web_counts['files']} files")
    step(f"external CRM database: {write_crm(out, customers, seed)} loyalty members")
    defects = {
        "cdc": {t: dict(writer.counts[t]) for t in r.CDC_TABLES},
        "source": injected,
        "web": web_counts,
    }
    write_truth(con, out / "truth", web_truth, defects)
    step("truth written")
    manifest = {"params": params, "day0": r.DAY0.isoformat(),
                "files": sorted(files, key=lambda f: (f["arrival_day"], f["path"]))}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    con.close()
    return manifest


def deliver(source: Path, landing: Path, through_day: int | None = None) -> list[str]:
    """Copy the files that have arrived by `through_day` (all when None) into `landing`.

    Files are written under a hidden temporary name and renamed, so a reader never sees a
    partial file. A file already delivered is left alone. Returns the paths delivered now.
    """
    manifest = json.loads((source / "manifest.json").read_text())
    delivered = []
    for entry in manifest["files"]:
        if through_day is not None and entry["arrival_day"] > through_day:
            continue
        target = landing / entry["path"]
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(source / "landing" / entry["path"], tmp)
        os.replace(tmp, target)
        delivered.append(entry["path"])
    return delivered
