"""Retraining without a person, in the Dagster code location.

The job `ml_retrain` trains the late-delivery model on the published gold (`lakehouse train`:
a new version, the `challenger` if it passes the promotion gate against the champion on the
validation rows), asks the gate on realized performance (`lakehouse promote`: the champion
moves only if the challenger does better on the lines both scored whose labels are decided),
and runs the monitoring notebook with the run's id and the champion's version as parameters,
keeping the executed copy with the run (`<DAGSTER_HOME>/notebooks/<run id>/`; the step's output
links it, and the UI shows it). Each step is an MLflow run as well (the training; the promotion
decision), with its figures.

Triggers: the schedule `ml_weekly` (Mondays, 04:00 UTC), and the sensor `ml_alerts`, which
starts the job when the model's performance or input drift alert (`alerts/ml.yml`) triggers:
one run per triggering (keyed by the alert and the time it triggered), none while it stays
triggered.
"""

# no `from __future__ import annotations`: Dagster reads the op's config class from its
# annotation at definition time

import dagster as dg
from pydantic import Field

from lakehouse.config import Settings

JOB = "ml_retrain"
# the alerts whose triggering retrains
ALERTS = ("model_performance_drop", "model_slice_miscalibrated", "model_input_drift")
SENSOR_INTERVAL = 60


class RetrainConfig(dg.Config):
    """The retraining's settings (the launchpad in the UI shows them)."""

    validation_days: int = Field(default=365, description="validate on the last N days of "
                                 "orders with final labels")
    min_rows: int = Field(default=100, description="promote only on at least N labelled "
                                                   "lines both versions scored")


@dg.op(description="`lakehouse train`: a new version on the published gold; the challenger "
       "if it passes the gate against the champion on the validation rows.")
def train_challenger(context: dg.OpExecutionContext, config: RetrainConfig) -> dict:
    from dataclasses import asdict

    from lakehouse.ml.training import train

    trained = train(Settings.from_env(), validation_days=config.validation_days,
                    log=context.log.info)
    context.add_output_metadata({
        "version": trained.version, "challenger": trained.challenger,
        "promoted": trained.promoted, "decision": trained.decision,
        "mlflow_run_id": trained.mlflow_run_id,
        "val_auc": trained.metrics["val_auc"], "val_log_loss": trained.metrics["val_log_loss"]})
    return asdict(trained)


@dg.op(description="`lakehouse promote`: the gate on the lines both versions scored that "
       "have their labels; the champion moves only on a pass.")
def promote_challenger(context: dg.OpExecutionContext, config: RetrainConfig,
                       trained: dict) -> dict:
    from dataclasses import asdict

    from lakehouse.ml.promotion import promote
    from lakehouse.ml.training import CHALLENGER, alias_version

    settings = Settings.from_env()
    if alias_version(settings.tracking_uri, CHALLENGER) is None:
        context.log.info(f"no challenger to promote: version {trained['version']} did not "
                         f"become one ({trained['decision']})")
        context.add_output_metadata({"promoted": False, "decision": "no challenger"})
        return {"promoted": False, "decision": "no challenger"}
    result = promote(settings, min_rows=config.min_rows, log=context.log.info)
    context.add_output_metadata({
        "champion": result.champion, "challenger": result.challenger, "rows": result.rows,
        "promoted": result.promoted, "decision": result.decision,
        "mlflow_run_id": result.mlflow_run_id or ""})
    return asdict(result)


@dg.op(description="The monitoring notebook, executed with the run id and the champion's "
       "version; the executed copy is kept with the run and linked here.")
def monitoring_notebook(context: dg.OpExecutionContext, promotion: dict) -> str:
    from lakehouse.apps.orchestration.instance import dagster_home
    from lakehouse.ml.notebooks import MONITORING, run_notebook
    from lakehouse.ml.training import champion_version

    settings = Settings.from_env()
    version = champion_version(settings.tracking_uri)
    executed = dagster_home() / "notebooks" / context.run_id / MONITORING.name
    run_notebook(MONITORING, {"model_version": version, "run_id": context.run_id}, executed)
    context.log.info(f"monitoring notebook for version {version}: {executed}")
    context.add_output_metadata({"notebook": dg.MetadataValue.notebook(str(executed)),
                                 "model_version": version})
    return str(executed)


@dg.job(name=JOB, description="Retrain the late-delivery model, promote through the gate on "
        "realized performance, and run the monitoring notebook.")
def ml_retrain() -> None:
    monitoring_notebook(promote_challenger(train_challenger()))


ml_weekly = dg.ScheduleDefinition(
    name="ml_weekly", job=ml_retrain, cron_schedule="0 4 * * 1", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Monday at 04:00 UTC: retrain, and promote only through the gate.")


def triggered_alerts(settings: Settings) -> list[tuple[str, str]]:
    """The ML alerts that are TRIGGERED now, with the time each triggered."""
    import duckdb

    from lakehouse.warehouse import connect

    if not settings.db.exists():
        return []
    con = connect(settings.db, read_only=True)
    try:
        return [(alert, str(since)) for alert, since in con.execute(
            "select alert, since from ops.alert_state where state = 'TRIGGERED' and alert in "
            f"({', '.join('?' for _ in ALERTS)}) order by alert", list(ALERTS)).fetchall()]
    except duckdb.CatalogException:  # no alert evaluated yet
        return []
    finally:
        con.close()


@dg.sensor(job=ml_retrain, minimum_interval_seconds=SENSOR_INTERVAL,
           default_status=dg.DefaultSensorStatus.RUNNING)
def ml_alerts(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """A retraining when the model's performance or drift alert triggers (once per
    triggering: the run key is the alert and when it triggered)."""
    import duckdb

    try:
        triggered = triggered_alerts(Settings.from_env())
    except duckdb.Error as error:  # a run holds the warehouse: look again at the next tick
        return dg.SkipReason(f"the warehouse is busy ({str(error).splitlines()[0]})")
    if not triggered:
        return dg.SkipReason(f"none of {', '.join(ALERTS)} is triggered")
    return dg.SensorResult(run_requests=[
        dg.RunRequest(run_key=f"{alert}@{since}", tags={"lakehouse/alert": alert})
        for alert, since in triggered])


DEFINITIONS = dg.Definitions(jobs=[ml_retrain], schedules=[ml_weekly], sensors=[ml_alerts])
