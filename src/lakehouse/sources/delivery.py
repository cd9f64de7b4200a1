"""Generating the simulated source and delivering its files into the landing zone, by day (as
the source systems would)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse import log as log_line
from lakehouse.errors import UserError

if TYPE_CHECKING:
    from lakehouse.sources.generator.simulate import Drift


def generated_params(out: Path) -> dict | None:
    """The parameters a data set in `out` was generated with (None: no data set there)."""
    manifest = out / "manifest.json"
    if not manifest.exists():
        return None
    # data sets from before `--change-scale` have the default change volume
    return {"change_scale": 1.0, **json.loads(manifest.read_text())["params"]}


def generate_if_needed(out: Path, sf: float, days: int, seed: int, force: bool = False,
                       log: Callable[[str], None] = log_line, change_scale: float = 1.0,
                       drift: Drift | None = None) -> None:
    """Generate the data set into `out` unless the same one (parameters and generator version)
    is already there."""
    from lakehouse.sources.generator import data_set_params, generate

    described = f"sf={sf} days={days} seed={seed}" + (
        f" change_scale={change_scale:g}" if change_scale != 1 else "") + (
        f" drift={drift.ship_mode}+{drift.delay_days}d@day{drift.from_day}" if drift else "")
    if not force and generated_params(out) == data_set_params(sf, days, seed, change_scale,
                                                              drift):
        log(f"data set {described} already in {out} (use --force to redo)")
        return
    log(f"generating {described} into {out}")
    generate(out, sf=sf, days=days, seed=seed, log=lambda m: log(f"generate {m}"),
             change_scale=change_scale, drift=drift)


def deliver_days(source: Path, landing: Path, day: int | None) -> list[str]:
    """Deliver the files of `source` that have arrived by `day` (None: all) into `landing`;
    a missing data set or a day outside it is a UserError. Returns the paths delivered now."""
    from lakehouse.sources.generator import deliver

    params = generated_params(source)
    if params is None:
        raise UserError(f"no generated data set at {source} (manifest.json missing): run "
                        "`lakehouse generate` first, or give --source")
    days = params["days"]
    if day is not None and not 0 <= day <= days:
        raise UserError(f"--day {day} is outside the data set's days 0..{days} "
                        f"({source}); --all delivers everything")
    return deliver(source, landing, day)
