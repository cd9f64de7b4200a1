"""Retraining without a person, in the Dagster code location.

The job `ml_retrain` trains the late-delivery model on the published gold (`lakehouse train`:
a new version, the `challenger` if it passes the promotion gate against the champion on the
validation rows), asks the gate on realized performance (`lakehouse promote`: the champion
moves only if the challenger does better on the lines both scored whose labels are decided),
and runs the monitoring notebook with the run's id and the champion's version as parameters,
keeping the executed copy with the run (`<DAGSTER_HOME>/notebooks/<run id>/`; the step's output
links it, and the UI shows it). Each step is an MLflow run as well (the training; the promotion
decision), with its figures.

Triggers: the schedule `ml_weekly` (Mondays, 04:00 UTC: the full history, `lakehouse train`'s
defaults), and the sensor `ml_alerts`, which starts the job when the model's performance, slice
or input drift alert (`alerts/ml.yml`) triggers, and again every week of data (the data's as-of
date) while it stays triggered and no challenger is on trial: an alert says the world moved, so
that retraining is for the recent world (validation on the last 14 days of commit dates,
training lines weighted with a 30-day half-life; docs/ml.md has the measurements). The job
`ml_promote` applies the gate to a waiting challenger; the sensor `ml_challenger_labels` starts
it once per challenger and published run as soon as 100 lines both versions scored have their
labels, so a challenger is promoted (or not) as the labels arrive, not at the next Monday.
"""

# no `from __future__ import annotations`: Dagster reads the op's config class from its
# annotation at definition time

import dagster as dg
from pydantic import Field

from lakehouse.config import Settings
from lakehouse.ml.promotion import MIN_ROWS
from lakehouse.ml.training import HALF_LIFE_DAYS, VALIDATION_DAYS

JOB = "ml_retrain"
# the alerts whose triggering retrains
PROMOTE_JOB = "ml_promote"
ALERTS = ("model_performance_drop", "model_slice_miscalibrated", "model_input_drift")
SENSOR_INTERVAL = 60
# the retraining an alert asks for: the recent world (measured in docs/ml.md, "Drift you can
# reproduce": with a slower ship mode, these beat the champion on realized labels from about
# four weeks of drift on; the full history's defaults never did within eleven weeks)
RECENT_VALIDATION_DAYS = 14
RECENT_HALF_LIFE_DAYS = 30.0


class PromoteConfig(dg.Config):
    """The gate's settings."""

    min_rows: int = Field(default=MIN_ROWS, description="promote only on at least N "
                          "labelled lines both versions scored")


class RetrainConfig(PromoteConfig):
    """The retraining's settings (the launchpad in the UI shows them), and the gate's."""

    validation_days: int = Field(default=VALIDATION_DAYS, description="validate on the lines "
                                 "with final labels committed in the last N days")
    half_life_days: float = Field(default=HALF_LIFE_DAYS, description="weight the training "
                                  "lines by recency: one committed H days before the "
                                  "validation window counts half (0: all alike)")


@dg.op(description="`lakehouse train`: a new version on the published gold; the challenger "
       "if it passes the gate against the champion on the validation rows.")
def train_challenger(context: dg.OpExecutionContext, config: RetrainConfig) -> dict:
    from dataclasses import asdict

    from lakehouse.ml.training import train

    trained = train(Settings.from_env(), validation_days=config.validation_days,
                    half_life_days=config.half_life_days, log=context.log.info)
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
    return gate(context, config.min_rows, f"version {trained['version']} did not become one "
                f"({trained['decision']})")


@dg.op(description="`lakehouse promote`: the gate on the waiting challenger, on the lines both "
       "versions scored that have their labels; the champion moves only on a pass.")
def promote_waiting_challenger(context: dg.OpExecutionContext, config: PromoteConfig) -> dict:
    return gate(context, config.min_rows, "none is registered")


def gate(context: dg.OpExecutionContext, min_rows: int, why_none: str) -> dict:
    """`lakehouse promote` in an op: its decision as the output and the op's metadata."""
    from dataclasses import asdict

    from lakehouse.ml.promotion import promote
    from lakehouse.ml.training import CHALLENGER, alias_version

    settings = Settings.from_env()
    if alias_version(settings.tracking_uri, CHALLENGER) is None:
        context.log.info(f"no challenger to promote: {why_none}")
        context.add_output_metadata({"promoted": False, "decision": "no challenger"})
        return {"promoted": False, "decision": "no challenger"}
    result = promote(settings, min_rows=min_rows, log=context.log.info)
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


@dg.job(name=PROMOTE_JOB, description="The gate on realized performance for the waiting "
        "challenger, then the monitoring notebook.")
def ml_promote() -> None:
    monitoring_notebook(promote_waiting_challenger())


ml_weekly = dg.ScheduleDefinition(
    name="ml_weekly", job=ml_retrain, cron_schedule="0 4 * * 1", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Monday at 04:00 UTC: retrain, and promote only through the gate.")


def triggered_alerts(settings: Settings) -> list[tuple[str, str, str]]:
    """The ML alerts that are TRIGGERED now, with the time each triggered and the week of the
    data's as-of date (its Monday)."""
    import duckdb

    from lakehouse.warehouse import connect

    if not settings.db.exists():
        return []
    con = connect(settings.db, read_only=True)
    try:
        return [(alert, str(since), str(week)) for alert, since, week in con.execute(
            "select alert, since, (select date_trunc('week', max(as_of_date)) "
            "from gold.ml_late_delivery_features) from ops.alert_state "
            "where state = 'TRIGGERED' and alert in "
            f"({', '.join('?' for _ in ALERTS)}) order by alert", list(ALERTS)).fetchall()]
    except duckdb.CatalogException:  # no alert evaluated yet
        return []
    finally:
        con.close()


@dg.sensor(job=ml_retrain, minimum_interval_seconds=SENSOR_INTERVAL,
           default_status=dg.DefaultSensorStatus.RUNNING)
def ml_alerts(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """A retraining for the recent world when the model's performance, slice or drift alert
    triggers, and again every week of data while it stays triggered (the run key: the alert,
    when it triggered, and the week of the data's as-of date)."""
    import duckdb

    settings = Settings.from_env()
    try:
        triggered = triggered_alerts(settings)
    except duckdb.Error as error:  # a run holds the warehouse: look again at the next tick
        return dg.SkipReason(f"the warehouse is busy ({str(error).splitlines()[0]})")
    if not triggered:
        return dg.SkipReason(f"none of {', '.join(ALERTS)} is triggered")
    waiting = waiting_challenger(settings)
    if waiting is not None and not waiting[3]:
        # a remedy is on trial: replacing it every week would end its trial before the gate
        # decides (the alert's retrainings keep beating the last one on newer labels)
        return dg.SkipReason(f"challenger version {waiting[0]} is on trial ({waiting[1]} "
                             "labelled lines both versions scored): the retraining waits "
                             "for the gate's decision")
    recent = {"ops": {"train_challenger": {"config": {
        "validation_days": RECENT_VALIDATION_DAYS, "half_life_days": RECENT_HALF_LIFE_DAYS}}}}
    return dg.SensorResult(run_requests=[
        dg.RunRequest(run_key=f"{alert}@{since} week of {week}", run_config=recent,
                      tags={"lakehouse/alert": alert, "lakehouse/data_week": week})
        for alert, since, week in triggered])


@dg.sensor(job=ml_promote, minimum_interval_seconds=SENSOR_INTERVAL,
           default_status=dg.DefaultSensorStatus.RUNNING)
def ml_challenger_labels(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """The gate for a waiting challenger as soon as enough of the lines both versions scored
    have their labels, once per challenger and published run (the run key)."""
    waiting = waiting_challenger(Settings.from_env())
    if waiting is None:
        return dg.SkipReason("no challenger waiting")
    challenger, labelled, run_id, _ = waiting
    if labelled < MIN_ROWS:
        return dg.SkipReason(f"challenger version {challenger}: {labelled} labelled lines "
                             f"both versions scored, the gate needs {MIN_ROWS}")
    return dg.SensorResult(run_requests=[dg.RunRequest(
        run_key=f"version {challenger} on published run {run_id}",
        tags={"lakehouse/challenger": str(challenger), "lakehouse/input_run_id": run_id})])


def waiting_challenger(settings: Settings) -> tuple[int, int, str, bool] | None:
    """The `challenger` version, how many lines it and the champion both scored have their
    labels, the published run that says so, and whether the gate has decided on it; None
    without a challenger."""
    from mlflow import MlflowClient

    from lakehouse.ml.promotion import GATE_TAG, paired_outcomes
    from lakehouse.ml.training import ALIAS, CHALLENGER, alias_version, model_name

    name, uri = model_name(), settings.tracking_uri
    champion = alias_version(uri, ALIAS, name)
    challenger = alias_version(uri, CHALLENGER, name)
    if champion is None or challenger is None:
        return None
    *_, labels, run_id = paired_outcomes(settings, name, champion, challenger)
    decided = GATE_TAG in MlflowClient(uri, uri).get_model_version(name, str(challenger)).tags
    return challenger, len(labels), run_id, decided


DEFINITIONS = dg.Definitions(jobs=[ml_retrain, ml_promote], schedules=[ml_weekly],
                             sensors=[ml_alerts, ml_challenger_labels])
