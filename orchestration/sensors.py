"""Sensors that alert people (issue #5). Each run is judged once: Dagster's run-status
sensors keep a cursor, so an alert goes out once per failure, not once per tick."""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from orchestration import alerts, recovery


@run_failure_sensor(name="alert_on_run_failure", default_status=DefaultSensorStatus.RUNNING,
                    description="Alert when a run fails, e.g. a blocking quality gate or a "
                                "broken delivery file.")
def alert_on_run_failure(context: RunFailureSensorContext):
    alerts.alert_for_run(context.instance, context.dagster_run, failed=True)


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="alert_on_failed_warn_checks",
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Alert when a run succeeded but a warn check failed: rows of "
                               "a delivery went to quarantine, or the year-on-year change "
                               "on table 1.")
def alert_on_failed_warn_checks(context: RunStatusSensorContext):
    alerts.alert_for_run(context.instance, context.dagster_run, failed=False)


@sensor(name="recover_dead_runs", minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Mark a run failed whose process is gone (killed, out of memory, a "
                    "reboot) and free its duckdb pool slot, so later runs do not wait for it "
                    "forever (orchestration/recovery.py).")
def recover_dead_runs(context: SensorEvaluationContext):
    done = recovery.recover_dead_runs(context.instance)
    for item in done:
        context.log.warning(item.line())
    return SkipReason("; ".join(r.line() for r in done) or "no run left behind by a dead process")
