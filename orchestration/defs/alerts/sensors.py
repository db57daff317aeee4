"""Sensors that alert people (docs/operations.md). Each run is judged once: Dagster's run-status
sensors keep a cursor, so an alert goes out once per failure, not once per tick."""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from orchestration.defs.alerts import channels
from orchestration.defs.resources import Alerting


@run_failure_sensor(name="alert_on_run_failure", default_status=DefaultSensorStatus.RUNNING,
                    description="Alert when a run fails, e.g. a blocking quality gate or a "
                                "broken delivery file.")
def alert_on_run_failure(context: RunFailureSensorContext, alerting: Alerting):
    channels.alert_for_run(context.instance, context.dagster_run, failed=True,
                           channels=alerting.channels)


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="alert_on_failed_warn_checks",
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Alert when a run succeeded but a warn check failed: rows of "
                               "a delivery went to quarantine, or the year-on-year change "
                               "on table 1.")
def alert_on_failed_warn_checks(context: RunStatusSensorContext, alerting: Alerting):
    channels.alert_for_run(context.instance, context.dagster_run, failed=False,
                           channels=alerting.channels)
