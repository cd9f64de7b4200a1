"""The main job (`lakehouse run`): everything pending in the landing zone through bronze,
silver and gold with their tests, the docs, the column-lineage governance check, and the
publication of gold for BI tools; every run recorded in `ops.run_history`."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from lakehouse import log as log_line
from lakehouse.config import PROJECT_DIR, Settings, target_path
from lakehouse.dbt import Dbt, DbtError, DbtResult
from lakehouse.errors import PipelineError
from lakehouse.ml.inference_log import close_orphans
from lakehouse.ml.training import ALIAS, CHALLENGER, alias_version, champion_version
from lakehouse.warehouse import is_lake

if TYPE_CHECKING:
    from lakehouse.build.lineage import Lineage


def run_pipeline(settings: Settings, docs: bool = True, max_files_per_run: int | None = None,
                 variables: dict | None = None, publish_to: Path | None = None,
                 log: Callable[[str], None] = log_line, dbt: Dbt | None = None) -> str:
    """Everything pending in the landing zone through bronze, silver and gold, with tests; then
    (when `publish_to` is given and the build succeeded) publish gold for BI tools. Returns the
    run id; raises PipelineError when the run fails (it is recorded, nothing is published).

    The alerts (alerts/*.yml) are validated before anything is built and evaluated when the
    run ends, failed or not (`lakehouse.ops`).

    Like Auto Loader's trigger AvailableNow: with `max_files_per_run` each dbt build takes at
    most that many new files per feed, and builds repeat until nothing is pending. Every run is
    recorded in `ops.run_history`, failed ones too. `dbt`: how dbt runs (by default a child
    process per command; `lakehouse stream` forks them from a process that imported dbt).
    """
    from lakehouse.ops.commands import after_run, validated

    run = Run(settings, docs=docs, max_files_per_run=max_files_per_run, variables=variables,
              publish_to=publish_to, log=log, dbt=dbt)
    try:  # a broken alert stops the run before it builds (it could not tell anyone)
        validated(settings)
    except BaseException:
        run.recorder.release()
        raise
    try:
        if not run.plan():
            return run.run_id
        try:
            for _ in run.builds():
                pass
            run.check()
        except (DbtError, PipelineError) as error:
            run.fail(error)
        run.succeed(published=False)  # publish_run marks it published as it publishes
        if publish_to is not None:
            publish_run(settings, run.run_id, publish_to, run.dbt.target, log)
    finally:  # success or failure, the alerts are evaluated before the run returns
        after_run(settings, run.run_id, log)
    log(f"run {run.run_id} finished in {run.recorder.seconds():.1f}s")
    return run.run_id


class Run:
    """One run of the main job, in the phases `run_pipeline` (and the Dagster job,
    orchestration/definitions.py) go through: `plan` (what is pending), `builds` (dbt, repeated
    while files are left), `check` (docs, column-lineage governance), then `succeed` or `fail`
    (the row in ops.run_history); publishing follows a success (`publish_run`)."""

    def __init__(self, settings: Settings, docs: bool = True,
                 max_files_per_run: int | None = None, variables: dict | None = None,
                 publish_to: Path | None = None, log: Callable[[str], None] = log_line,
                 run_id: str | None = None, capture: bool = False,
                 dbt: Dbt | None = None) -> None:
        from lakehouse.build.run_history import RunRecorder

        settings.export()
        self.settings, self.docs, self.publish_to, self.log = settings, docs, publish_to, log
        self.capture = capture  # keep dbt's output (and log it) rather than print it
        self.dbt = dbt or Dbt()
        self.recorder = RunRecorder(settings.db, self.dbt.target, run_id)
        self.recorder.project_hash = project_fingerprint(variables or {})
        # the model version gold.pred_* score with: an input of the build, like the files
        self.champion = self.recorder.ml_champion = champion_version(settings.tracking_uri)
        self.challenger = self.recorder.ml_challenger = alias_version(settings.tracking_uri,
                                                                      CHALLENGER)
        variables = {**(variables or {}),
                     **({"max_files_per_run": max_files_per_run} if max_files_per_run else {})}
        # dbt's unit tests check the SQL on fixed inputs, not the data: dbt recommends them in
        # development and CI only (`lakehouse test` runs them), not in every production build
        self.args = ["build", "--exclude-resource-type", "unit_test",
                     *(["--vars", json.dumps(variables)] if variables else [])]
        if self.champion is None:  # nothing to score with before the first `lakehouse train`
            self.args += ["--exclude", f"tag:{SCORING_TAG}"]
        self.pending: dict[str, list[str]] = {}
        self.external = False
        self.interrupted: list[str] = []
        self.up_to_date = False
        self.rescore = False  # a new champion: the scoring models build, even with no input

    @property
    def run_id(self) -> str:
        return self.recorder.run_id

    def plan(self) -> bool:
        """Whether there is anything to build. When there is not (no new landing file, no new
        external rows, nothing a killed run left, the project of the last successful build),
        the run is recorded as `no_changes` and nothing is built, documented or published."""
        from lakehouse.build.landing import external_rows_pending, pending_files
        from lakehouse.build.run_history import interrupted_input, last_build

        settings = self.settings
        self.log(f"build: landing={settings.landing} warehouse={settings.db} "
                 f"run_id={self.run_id}")
        for path in close_orphans(settings.landing):  # what a killed endpoint answered
            self.log(f"closed {path}: the inference log of a model endpoint that stopped")
        last = last_build(settings.db)
        # the last build left everything up to date (it succeeded, with this project and these
        # variables, published if a publish is asked for): only what is pending needs building
        self.up_to_date = (last is not None and last.status == "success"
                           and last.project_hash == self.recorder.project_hash
                           and (self.publish_to is None or last.published))
        # a champion (or a challenger) that is not the one the last build scored with:
        # scoring builds again
        self.rescore = (self.up_to_date and self.champion is not None
                        and (last.ml_champion, last.ml_challenger)  # type: ignore[union-attr]
                        != (self.champion, self.challenger))
        self.pending = pending_files(settings.landing, settings.db)
        self.external = external_rows_pending(settings.db, settings.external_db)
        # what a killed run ingested is in bronze but in nothing downstream: build from it too
        self.interrupted, interrupted_external = interrupted_input(settings.db)
        for feed in self.interrupted:
            self.pending.setdefault(feed, [])
        self.external = self.external or interrupted_external
        if (self.up_to_date and not any(self.pending.values()) and not self.external
                and not self.interrupted and not self.rescore):
            self.recorder.finish("no_changes", published=False)
            self.log(f"nothing pending since run {last.run_id} (no new landing file, no new "  # type: ignore[union-attr]
                     "external rows, the same project): nothing built, docs and publish skipped")
            return False
        return True

    def builds(self) -> Iterator[DbtResult]:
        """Build what is pending, and again while files are left (`max_files_per_run`): each
        dbt build's result, yielded before a failing one raises DbtError."""
        from lakehouse.build.landing import pending_files

        pending, external, interrupted = self.pending, self.external, self.interrupted
        waiting = sum(len(f) for f in pending.values())
        for attempt in range(1, 10_000):
            selection = (changed_sources(pending, external, interrupted) if self.up_to_date
                         else [])
            if self.rescore:  # the first build scores with the new champion
                selection.append(f"tag:{SCORING_TAG}")
                self.log(f"MLflow's `{ALIAS}` is version {self.champion}: scoring with it"
                         + (f" (and `{CHALLENGER}` version {self.challenger} beside it)"
                            if self.challenger is not None else ""))
                self.rescore = False
            self.log(f"build #{attempt}: {waiting} landing file(s) pending"
                     + (f"; building what they feed: {' '.join(selection)}" if selection else ""))
            if attempt == 1 and self.champion is None:
                self.log(f"models tagged {SCORING_TAG} (gold.pred_*) skipped: the MLflow model "
                         f"has no `{ALIAS}` version yet (`lakehouse train` registers one)")
            result = self.dbt.run(*self.args, *(["--select", *selection] if selection else []),
                                  check=False, capture=self.capture)
            if self.capture and result.output:
                self.log(result.output)
            self.recorder.add_dbt_results(result)
            yield result
            if not result.ok:
                raise DbtError(result)
            pending = pending_files(self.settings.landing, self.settings.db)
            external, interrupted = False, []  # the build read all of it up to now
            left = sum(len(f) for f in pending.values())
            if left == 0 or left >= waiting:
                break
            waiting = left

    def check(self) -> None:
        """The docs (unless skipped) and the governance rule on the build's column lineage
        (written to the target directory, where publishing reads its masks)."""
        from lakehouse.build.lineage import governance_violations

        if self.docs:
            self.dbt.run("docs", "generate", capture=self.capture)
        problems = governance_violations(column_lineage(self.settings.db, self.dbt.target))
        if problems:
            self.recorder.failure = "governance: " + "\n".join(problems)
            for problem in problems:
                print(f"lakehouse: governance: {problem}", file=sys.stderr)
            raise PipelineError(f"governance: {len(problems)} gold column(s) derived from "
                                "personal data are neither tagged nor declared not PII")

    def fail(self, error: Exception) -> NoReturn:
        """Record the run as failed (with the failing nodes, or why) and raise PipelineError."""
        self.recorder.finish("failed", published=False,
                             failure=self.recorder.failure or self.recorder.failures()
                             or str(error))
        self.log("run failed: nothing published")
        raise PipelineError(str(error)) from error

    def succeed(self, published: bool) -> None:
        self.recorder.finish("success", published=published)


def publish_run(settings: Settings, run_id: str, publish_to: Path | None = None,
                target: Path | None = None, log: Callable[[str], None] = log_line) -> Path:
    """Publish gold as run `run_id` left it: the masked serving copy (and, on the lake target,
    the `published.*` views pinned at the run's version), masked by the column lineage the run
    wrote to dbt's target directory. Marks the run published in ops.run_history."""
    from lakehouse.build.lineage import masked_columns, read
    from lakehouse.build.publish import publish
    from lakehouse.build.run_history import mark_published

    target = target or target_path()
    publish_to = publish_to or settings.serving_dir
    masks = masked_columns(read(target))
    # marked first, so that the published copy's own run history says so; unmarked if it fails
    mark_published(settings.db, run_id)
    try:
        served = publish(settings.db, publish_to, target / "manifest.json", run_id, masks=masks)
        log(f"published gold to {served} and {publish_to / 'parquet'}")
        if is_lake(settings.db):
            from lakehouse.build.publish import publish_lake

            version = publish_lake(settings.db, run_id, masks=masks)
            log(f"published gold in the lake: published.* at version {version}")
    except BaseException:
        with contextlib.suppress(Exception):  # the warehouse may be what failed
            mark_published(settings.db, run_id, published=False)
        raise
    return served


# what another process holding the warehouse looks like: DuckDB's file lock, SQLite's (a
# DuckLake catalog); a run that meets one is worth retrying
TRANSIENT = ("Could not set lock on file", "Conflicting lock is held", "database is locked")


def is_transient(error: BaseException) -> bool:
    """Whether a run failed because another process held the warehouse (worth a retry)."""
    texts = [str(error)]
    if isinstance(error, DbtError):
        texts += [error.result.output or "", *error.result.failures()]
    cause = error.__cause__
    return any(marker in text for text in texts for marker in TRANSIENT) or (
        cause is not None and is_transient(cause))


def changed_sources(pending: dict[str, list[str]], external: bool,
                    interrupted: Sequence[str] = ()) -> list[str]:
    """dbt's selection of what the pending input feeds: each landing feed with files pending
    or left in bronze by an interrupted run, the external table with new rows, and everything
    downstream of them."""
    return ([f"source:landing.{feed}+" for feed, files in pending.items()
             if files or feed in interrupted]
            + (["source:crm.loyalty_members+"] if external else []))


# the catalog of a Spark warehouse's tables (Spark's session catalog)
SPARK_CATALOG = "spark_catalog"

# the dbt tag of the models that score with the registered MLflow model's champion
SCORING_TAG = "ml_scoring"

# what a build's result depends on besides its input data: dbt's project files, the project's
# dbt-duckdb plugin, and the variables of the run
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots",
                 "tests", "analyses")


def project_fingerprint(variables: dict, project_dir: Path = PROJECT_DIR) -> str:
    """A hash of the project as a build reads it and of the run's variables: a run with nothing
    pending and the fingerprint of the last successful build has nothing to do."""
    digest = hashlib.sha256(json.dumps(variables, sort_keys=True).encode())
    # the plugin's file, found without importing it (it imports dbt-duckdb: 1.5 s)
    paths = [Path(importlib.util.find_spec("lakehouse.duckdb_plugin").origin)]  # type: ignore[union-attr, arg-type]
    for name in PROJECT_FILES:
        path = project_dir / name
        # dbt's singular tests are SQL and YAML; the pytest files beside them are no input
        suffixes = ((".sql", ".yml", ".yaml") if name == "tests" else
                    (".sql", ".py", ".yml", ".yaml", ".md", ".csv"))
        paths += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in suffixes
                        ) if path.is_dir() else [path]
    for path in paths:
        digest.update(str(path.relative_to(project_dir) if path.is_relative_to(project_dir)
                          else path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def column_lineage(db: Path, target: Path) -> Lineage:
    """Column lineage of the last build (its manifest, the warehouse's catalog), written to
    `<target>/column_lineage.json` (whose previous version lends the traces that still hold)."""
    from lakehouse.build.lineage import ARTIFACT, build, read, warehouse_schema, write

    manifest = json.loads((target / "manifest.json").read_text())
    adapter = manifest["metadata"].get("adapter_type") or "duckdb"
    if adapter == "spark":  # names are schema.table: in Spark's one catalog
        for node in (*manifest["nodes"].values(), *manifest["sources"].values()):
            node["database"] = node.get("database") or SPARK_CATALOG
    database = next((n["database"] for n in manifest["nodes"].values()
                     if n["resource_type"] == "model"), db.stem)
    previous = None
    with contextlib.suppress(OSError, ValueError, KeyError):  # none, or not one we can read
        previous = read(target) if (target / ARTIFACT).exists() else None
    result = build(manifest, warehouse_schema(db, database), previous,
                   dialect="spark" if adapter == "spark" else "duckdb")
    write(result, target)
    return result
