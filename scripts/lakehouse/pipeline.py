"""The main job (`lakehouse run`): everything pending in the landing zone through bronze,
silver and gold with their tests, the docs, the column-lineage governance check, and the
publication of gold for BI tools; every run recorded in `ops.run_history`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .dbt import Dbt, DbtError
from .errors import PipelineError

if TYPE_CHECKING:
    from .lineage import Lineage


def _log(message: str) -> None:
    print(f"lakehouse: {message}", flush=True)


def run_pipeline(settings: Settings, docs: bool = True, max_files_per_run: int | None = None,
                 variables: dict | None = None, publish_to: Path | None = None,
                 log: Callable[[str], None] = _log) -> str:
    """Everything pending in the landing zone through bronze, silver and gold, with tests; then
    (when `publish_to` is given and the build succeeded) publish gold for BI tools. Returns the
    run id; raises PipelineError when the run fails (it is recorded, nothing is published).

    Like Auto Loader's trigger AvailableNow: with `max_files_per_run` each dbt build takes at
    most that many new files per feed, and builds repeat until nothing is pending. Every run is
    recorded in `ops.run_history`, failed ones too.
    """
    from .landing import pending_files
    from .lineage import governance_violations, masked_columns
    from .run_history import RunRecorder

    settings.export()
    dbt = Dbt()
    recorder = RunRecorder(settings.db, dbt.target)
    log(f"build: landing={settings.landing} warehouse={settings.db} run_id={recorder.run_id}")
    variables = {**(variables or {}),
                 **({"max_files_per_run": max_files_per_run} if max_files_per_run else {})}
    args = ["build", *(["--vars", json.dumps(variables)] if variables else [])]
    try:
        waiting = sum(len(f) for f in pending_files(settings.landing, settings.db).values())
        for attempt in range(1, 10_000):
            log(f"build #{attempt}: {waiting} landing file(s) pending")
            result = dbt.run(*args, check=False)
            recorder.add_dbt_results(result)
            if not result.ok:
                raise DbtError(result)
            left = sum(len(f) for f in pending_files(settings.landing, settings.db).values())
            if left == 0 or left >= waiting:
                break
            waiting = left
        if docs:
            dbt.run("docs", "generate")
        lineage = column_lineage(settings.db, dbt.target)
        problems = governance_violations(lineage)
        if problems:
            recorder.failure = "governance: " + "\n".join(problems)
            for problem in problems:
                print(f"lakehouse: governance: {problem}", file=sys.stderr)
            raise PipelineError(f"governance: {len(problems)} gold column(s) derived from "
                                "personal data are neither tagged nor declared not PII")
    except (DbtError, PipelineError) as error:
        recorder.finish("failed", published=False,
                        failure=recorder.failure or recorder.failures() or str(error))
        log("run failed: nothing published")
        raise PipelineError(str(error)) from error
    recorder.finish("success", published=publish_to is not None)
    if publish_to is not None:
        from .publish import publish

        served = publish(settings.db, publish_to, dbt.target / "manifest.json",
                         recorder.run_id, masks=masked_columns(lineage))
        log(f"published gold to {served} and {publish_to / 'parquet'}")
    log(f"run {recorder.run_id} finished in {recorder.seconds():.1f}s")
    return recorder.run_id


def column_lineage(db: Path, target: Path) -> Lineage:
    """Column lineage of the last build (its manifest, the warehouse's catalog), written to
    `<target>/column_lineage.json`."""
    from .lineage import build, warehouse_schema, write

    manifest = json.loads((target / "manifest.json").read_text())
    database = next((n["database"] for n in manifest["nodes"].values()
                     if n["resource_type"] == "model"), db.stem)
    result = build(manifest, warehouse_schema(db, database))
    write(result, target)
    return result
