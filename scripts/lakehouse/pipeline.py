"""The main job (`lakehouse run`): everything pending in the landing zone through bronze,
silver and gold with their tests, the docs, the column-lineage governance check, and the
publication of gold for BI tools; every run recorded in `ops.run_history`."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import log as log_line
from .config import PROJECT_DIR, Settings
from .dbt import Dbt, DbtError
from .errors import PipelineError
from .warehouse import is_lake

if TYPE_CHECKING:
    from .lineage import Lineage


def run_pipeline(settings: Settings, docs: bool = True, max_files_per_run: int | None = None,
                 variables: dict | None = None, publish_to: Path | None = None,
                 log: Callable[[str], None] = log_line) -> str:
    """Everything pending in the landing zone through bronze, silver and gold, with tests; then
    (when `publish_to` is given and the build succeeded) publish gold for BI tools. Returns the
    run id; raises PipelineError when the run fails (it is recorded, nothing is published).

    Like Auto Loader's trigger AvailableNow: with `max_files_per_run` each dbt build takes at
    most that many new files per feed, and builds repeat until nothing is pending. Every run is
    recorded in `ops.run_history`, failed ones too.
    """
    from .landing import external_rows_pending, pending_files
    from .lineage import governance_violations, masked_columns
    from .run_history import RunRecorder, interrupted_input, last_build

    settings.export()
    dbt = Dbt()
    recorder = RunRecorder(settings.db, dbt.target)
    recorder.project_hash = project_fingerprint(variables or {})
    log(f"build: landing={settings.landing} warehouse={settings.db} run_id={recorder.run_id}")
    variables = {**(variables or {}),
                 **({"max_files_per_run": max_files_per_run} if max_files_per_run else {})}
    args = ["build", *(["--vars", json.dumps(variables)] if variables else [])]
    last = last_build(settings.db)
    # the last build left everything up to date (it succeeded, with this project and these
    # variables, published if a publish is asked for): only what is pending needs building
    up_to_date = (last is not None and last.status == "success"
                  and last.project_hash == recorder.project_hash
                  and (publish_to is None or last.published))
    pending = pending_files(settings.landing, settings.db)
    external = external_rows_pending(settings.db, settings.external_db)
    # what a killed run ingested is in bronze but in nothing downstream: build from it too
    interrupted, interrupted_external = interrupted_input(settings.db)
    for feed in interrupted:
        pending.setdefault(feed, [])
    external = external or interrupted_external
    if up_to_date and not any(pending.values()) and not external and not interrupted:
        recorder.finish("no_changes", published=False)
        log(f"nothing pending since run {last.run_id} (no new landing file, no new external "  # type: ignore[union-attr]
            "rows, the same project): nothing built, docs and publish skipped")
        return recorder.run_id
    try:
        waiting = sum(len(f) for f in pending.values())
        for attempt in range(1, 10_000):
            selection = (changed_sources(pending, external, interrupted) if up_to_date
                         else [])
            log(f"build #{attempt}: {waiting} landing file(s) pending"
                + (f"; building what they feed: {' '.join(selection)}" if selection else ""))
            result = dbt.run(*args, *(["--select", *selection] if selection else []),
                             check=False)
            recorder.add_dbt_results(result)
            if not result.ok:
                raise DbtError(result)
            pending = pending_files(settings.landing, settings.db)
            external, interrupted = False, []  # the build read all of it up to now
            left = sum(len(f) for f in pending.values())
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

        masks = masked_columns(lineage)
        served = publish(settings.db, publish_to, dbt.target / "manifest.json",
                         recorder.run_id, masks=masks)
        log(f"published gold to {served} and {publish_to / 'parquet'}")
        if is_lake(settings.db):
            from .publish import publish_lake

            version = publish_lake(settings.db, recorder.run_id, masks=masks)
            log(f"published gold in the lake: published.* at version {version}")
    log(f"run {recorder.run_id} finished in {recorder.seconds():.1f}s")
    return recorder.run_id


def changed_sources(pending: dict[str, list[str]], external: bool,
                    interrupted: Sequence[str] = ()) -> list[str]:
    """dbt's selection of what the pending input feeds: each landing feed with files pending
    or left in bronze by an interrupted run, the external table with new rows, and everything
    downstream of them."""
    return ([f"source:landing.{feed}+" for feed, files in pending.items()
             if files or feed in interrupted]
            + (["source:crm.loyalty_members+"] if external else []))


# what a build's result depends on besides its input data: dbt's project files, the project's
# dbt-duckdb plugin, and the variables of the run
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots",
                 "tests", "analyses")


def project_fingerprint(variables: dict, project_dir: Path = PROJECT_DIR) -> str:
    """A hash of the project as a build reads it and of the run's variables: a run with nothing
    pending and the fingerprint of the last successful build has nothing to do."""
    digest = hashlib.sha256(json.dumps(variables, sort_keys=True).encode())
    paths = [Path(__file__).with_name("duckdb_plugin.py")]
    for name in PROJECT_FILES:
        path = project_dir / name
        paths += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in
                        (".sql", ".yml", ".yaml", ".md", ".csv")) if path.is_dir() else [path]
    for path in paths:
        digest.update(str(path.relative_to(project_dir) if path.is_relative_to(project_dir)
                          else path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


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
