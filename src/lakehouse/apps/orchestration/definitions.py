"""What the Dagster code location (`location.py`) holds, built from dbt's manifest.

Assets: every dbt model, seed and snapshot (dagster-dbt reads dbt's manifest: dbt's lineage is
the asset graph, grouped by layer), dbt's tests as asset checks on the node they test, the
landing feeds and the CRM table as external source assets, and `published/gold` downstream of
every gold table. One job, `lakehouse_run`, materializes them as `lakehouse run` does, in one
step (a run is one writer of the warehouse):

- it plans (what is pending in the landing zone), builds what that feeds (repeated while files
  are left, as `max_files_per_run` asks), generates the docs, checks the column-lineage
  governance rule and records the run in `ops.run_history` under the Dagster run id. Each node
  dbt built is reported materialized (nodes an increment did not need are not), each test an
  asset check result; a failing gate fails the step, its check shows failed, nothing is
  published;
- then it publishes gold for BI tools (`published/gold`) and marks the run published.

A warehouse locked by another process (a `lakehouse run` from the command line, a BI tool with
the DuckDB file open read-write) is transient: the step is retried with backoff (5, 10, 20,
40 s). Triggers: the sensor `landing_files` (Databricks' file-arrival trigger: it asks the same
question as `lakehouse run`, so it never starts a run for nothing), the schedule `daily`, and
runs launched from the UI. Runs carry a tag that the instance limits to one run at a time.
Each run ends with the alerts' evaluation (`lakehouse.ops`), and the schedule `alerts` evaluates
them every hour in between (the job `alerts_check`, under the same one-writer tag). The model's
retraining (`ml.py`: the job `ml_retrain`, weekly and on the ML alerts) is merged in.
"""

# no `from __future__ import annotations`: Dagster reads the op's config class from its
# annotation at definition time

import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.asset_utils import build_dbt_specs, get_asset_check_key_for_test
from pydantic import Field

from lakehouse.config import Settings, target_path
from lakehouse.dbt import Dbt, DbtResult

JOB = "lakehouse_run"
STEP = "build_and_publish"  # the job's one step: the build, then the publication
# the tag the instance's run queue allows once at a time (instance.py): one writer
WAREHOUSE_TAG = {"lakehouse/warehouse": "write"}
PUBLISHED = dg.AssetKey(["published", "gold"])
RETRIES = 4  # transient failures: retried after 5, 10, 20 and 40 seconds
SENSOR_INTERVAL = 15  # seconds between two looks at the landing zone


def manifest_path() -> Path:
    """The project's manifest for the code location, parsed (`dbt parse`, through the project's
    dbt seam) into its own directory when the project changed since the last parse, so that
    loading the definitions never reads a manifest a build is writing."""
    from lakehouse.build.pipeline import project_fingerprint

    target = target_path() / "orchestration"
    manifest, stamp = target / "manifest.json", target / "fingerprint"
    fingerprint = project_fingerprint({})
    if not manifest.exists() or not stamp.exists() or stamp.read_text() != fingerprint:
        Dbt().run("parse", "--target-path", str(target), capture=True)
        stamp.write_text(fingerprint)
    return manifest


class BuildConfig(dg.Config):
    """A run's settings, as `lakehouse run` takes them (the launchpad in the UI shows them)."""

    variables: str = Field(default="{}", description="dbt variables, JSON (`--vars`)")
    max_files_per_run: int = Field(
        default=0, description="at most N new files per feed per dbt build, builds repeated "
                               "until nothing is pending (0: all at once)")
    docs: bool = Field(default=True, description="generate dbt's docs after the build "
                                                 "(false: as `lakehouse run --no-docs`)")


class Translator(DagsterDbtTranslator):
    """dbt nodes as assets: keyed `<layer>/<name>` (the schema dbt builds them in), grouped by
    layer, so that the asset graph reads bronze -> silver -> gold as the docs do."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = (manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id) or {})
        if node.get("resource_type") == "source":
            return spec.replace_attributes(group_name="landing")
        layer = node.get("config", {}).get("schema") or node.get("schema")
        return spec.replace_attributes(group_name=layer or "default")


TRANSLATOR = Translator()


def _events(context: dg.AssetExecutionContext, manifest: Mapping[str, Any],
            results: list[DbtResult]) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Dagster events for what dbt did in this run's builds (the last result of a node wins):
    a materialization per model, seed and snapshot built, a check result per test run."""
    nodes = {n["unique_id"]: n for result in results for n in result.nodes}
    selected_checks = context.selected_asset_check_keys
    for unique_id, node in nodes.items():
        kind = unique_id.split(".")[0]
        metadata = {"dbt_status": node["status"], "seconds": round(node["execution_time"], 3)}
        if kind in ("model", "seed", "snapshot") and node["status"] == "success":
            yield dg.MaterializeResult(
                asset_key=TRANSLATOR.get_asset_spec(manifest, unique_id, None).key,
                metadata=metadata)
        elif kind == "test":
            key = get_asset_check_key_for_test(manifest, TRANSLATOR, unique_id, None)
            if key is None or key not in selected_checks:
                continue
            severity = manifest["nodes"][unique_id]["config"].get("severity", "ERROR").upper()
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=node["status"] == "pass",
                severity=(dg.AssetCheckSeverity.WARN if severity == "WARN"
                          else dg.AssetCheckSeverity.ERROR),
                metadata={**metadata, "failures": node.get("failures") or 0,
                          **({"message": node["message"]} if node.get("message") else {})})


def build_definitions(manifest_file: Path | None = None) -> dg.Definitions:
    manifest = json.loads((manifest_file or manifest_path()).read_text())
    specs, check_specs = build_dbt_specs(translator=TRANSLATOR, manifest=manifest,
                                         select="fqn:*", exclude="", selector="",
                                         io_manager_key=None, project=None)
    gold = [spec.key for spec in specs if spec.key.path[0] == "gold"]
    published = dg.AssetSpec(
        PUBLISHED, deps=gold, group_name="serving", kinds={"duckdb"}, skippable=True,
        description="Gold published for BI tools: the masked serving copy (and, on the lake "
                    "target, the `published.*` views pinned at the run's version). Published "
                    "only after a build in which every gate passed.")

    @dg.multi_asset(name=STEP, specs=[*specs, published], check_specs=check_specs,
                    can_subset=True, op_tags={"kind": "dbt"})
    def lakehouse_run(context: dg.AssetExecutionContext, config: BuildConfig) -> Iterator[Any]:
        """What is pending through bronze, silver and gold with their tests, the docs and the
        governance check, recorded in ops.run_history under the Dagster run id; then gold
        published. Models dbt did not need to rebuild are not reported materialized."""
        from lakehouse.build.pipeline import Run, is_transient, publish_run
        from lakehouse.ops.commands import after_run

        settings = Settings.from_env()
        run_id = context.run.run_id
        run = Run(settings, publish_to=settings.serving, run_id=run_id,
                  variables=json.loads(config.variables) or None,
                  max_files_per_run=config.max_files_per_run or None, docs=config.docs,
                  log=context.log.info, capture=True)
        results: list[DbtResult] = []
        try:
            if not run.plan():
                after_run(settings, run_id, context.log.info)
                return
            results.extend(run.builds())
            run.check()
        except Exception as error:
            if is_transient(error):
                run.recorder.release()  # the retry, in this process, takes the lock anew
                raise retry(context, error) from error
            yield from _events(context, manifest, results)  # the failed checks show in the UI
            try:
                run.fail(error)  # records the run as failed, raises PipelineError
            finally:
                after_run(settings, run_id, context.log.info)
        yield from _events(context, manifest, results)
        run.succeed(published=False)
        for attempt in range(RETRIES + 1):  # the build is recorded: only publishing is retried
            try:
                served = publish_run(settings, run_id, log=context.log.info)
                break
            except Exception as error:
                if not is_transient(error) or attempt == RETRIES:
                    raise
                context.log.warning(f"publishing waits for the warehouse: {error}")
                time.sleep(5 * 2 ** attempt)
        after_run(settings, run_id, context.log.info)
        yield dg.MaterializeResult(asset_key=PUBLISHED,
                                   metadata={"serving": dg.MetadataValue.path(str(served))})

    sources = [
        dg.AssetSpec(TRANSLATOR.get_asset_spec(manifest, uid, None).key, group_name="landing",
                     description=source.get("description") or None,
                     metadata={"dbt_source": f"{source['source_name']}.{source['name']}"})
        for uid, source in manifest["sources"].items()]

    job = dg.define_asset_job(
        JOB, selection=dg.AssetSelection.assets(lakehouse_run),
        description="`lakehouse run` as a workflow: build what is pending, test, publish.",
        executor_def=dg.in_process_executor, tags=WAREHOUSE_TAG)

    @dg.sensor(job=job, minimum_interval_seconds=SENSOR_INTERVAL,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def landing_files(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        """File arrival: a run when the landing zone (or the CRM) holds input that no run has
        loaded; the run key is that input, so one arrival starts one run."""
        return arrival(Settings.from_env())

    daily = dg.ScheduleDefinition(
        name="daily", job=job, cron_schedule="0 6 * * *", execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every day at 06:00 UTC, whatever arrived (a run with nothing pending "
                    "records `no_changes` in a few seconds).")

    @dg.op
    def evaluate_alerts(context: dg.OpExecutionContext) -> None:
        """The alerts (alerts/*.yml) evaluated, and what they notify sent."""
        from lakehouse.ops.commands import check, validated

        settings = Settings.from_env()
        check(settings, validated(settings), say=context.log.info)

    @dg.job(tags=WAREHOUSE_TAG, description="`lakehouse alerts check`: the alerts evaluated "
            "between runs (a table going stale is noticed even when no run comes).")
    def alerts_check() -> None:
        evaluate_alerts()

    hourly = dg.ScheduleDefinition(
        name="alerts", job=alerts_check, cron_schedule="0 * * * *", execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every hour: the alerts evaluated (freshness SLAs age between runs).")
    from lakehouse.apps.orchestration.ml import DEFINITIONS as ML

    return dg.Definitions.merge(
        dg.Definitions(assets=[*sources, lakehouse_run], jobs=[job, alerts_check],
                       sensors=[landing_files], schedules=[daily, hourly]), ML)


def retry(context: dg.AssetExecutionContext, error: Exception) -> dg.RetryRequested:
    """The step again after a backoff (5, 10, 20, 40 s): another process holds the warehouse."""
    wait = 5 * 2 ** context.retry_number
    context.log.warning(f"the warehouse is locked by another process: retried in {wait} s "
                        f"({str(error).splitlines()[0]})")
    return dg.RetryRequested(max_retries=RETRIES, seconds_to_wait=wait)


def arrival(settings: Settings) -> dg.RunRequest | dg.SkipReason:
    """The sensor's question, as `lakehouse run` asks it: landing files no run has loaded, new
    rows in the CRM, a killed run's input. Keyed by that input (path, size, modification time),
    so a tick while its run is queued or running requests nothing new."""
    import duckdb

    from lakehouse.build.landing import external_rows_pending, pending_files
    from lakehouse.build.run_history import interrupted_input, run_in_progress

    if run_in_progress(settings.db):
        # its builds may have committed what its row in ops.run_history does not list yet:
        # that is not a killed run's input. What it leaves pending is seen at a later tick
        return dg.SkipReason("a run is in progress; the landing zone is looked at after it")
    try:
        pending = pending_files(settings.landing, settings.db)
        external = external_rows_pending(settings.db, settings.external_db)
        interrupted, interrupted_external = interrupted_input(settings.db)
    except duckdb.Error as error:  # a run holds the DuckDB file: look again at the next tick
        return dg.SkipReason(f"the warehouse is busy ({str(error).splitlines()[0]})")
    files = sorted(path for paths in pending.values() for path in paths)
    if not files and not external and not interrupted and not interrupted_external:
        return dg.SkipReason("nothing pending in the landing zone")
    digest = hashlib.sha256()
    for path in files:
        stat = (settings.landing / path).stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    if external or interrupted_external:
        crm = settings.external_db
        digest.update(f"crm\0{crm.stat().st_mtime_ns if crm and crm.exists() else 0}".encode())
    digest.update(json.dumps(interrupted).encode())
    return dg.RunRequest(run_key=digest.hexdigest()[:32],
                         tags={"lakehouse/files": str(len(files))})
