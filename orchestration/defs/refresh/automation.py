"""The refresh chain: after every successful ingestion run, rebuild what lies downstream
(the ingestion's own automation, arrival and schedule, is in
`orchestration/defs/ingestion/automation.py`).

`refresh_after_ingest` answers an ingestion run that succeeded, whichever way it started
(the arrival sensor, the schedule, a UI backfill, a manual launch): it requests
`refresh_downstream`, which rebuilds the snapshot, every dbt model, the gates and the
exports from all loaded months. The published table needs whole years, so nothing is built
from one month alone. One refresh waits at a time: a new request is skipped while one is
queued."""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SkipReason,
    run_status_sensor,
)

from orchestration.defs.ingestion.jobs import ingest_deliveries_job
from orchestration.defs.refresh.jobs import refresh_job


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[ingest_deliveries_job],
                   request_job=refresh_job, name="refresh_after_ingest",
                   default_status=DefaultSensorStatus.RUNNING,
                   description="After a successful ingestion run, rebuild everything "
                               "downstream from all loaded months.")
def refresh_after_ingest(context: RunStatusSensorContext):
    waiting = context.instance.get_runs(RunsFilter(
        job_name=refresh_job.name,
        statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED]), limit=1)
    if waiting:
        return SkipReason(f"refresh run {waiting[0].run_id} is already waiting")
    return RunRequest(run_key=f"after:{context.dagster_run.run_id}",
                      tags={"gop/trigger": "after_ingest",
                            "gop/after_run": context.dagster_run.run_id})
