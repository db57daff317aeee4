"""A sensor that clears what a dead run left behind (`dead_runs.py` says how it is judged)."""

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from orchestration.defs.recovery import dead_runs


@sensor(name="recover_dead_runs", minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Mark a run failed whose process is gone (killed, out of memory, a "
                    "reboot) and free its duckdb pool slot, so later runs do not wait for it "
                    "forever (orchestration/defs/recovery/dead_runs.py).")
def recover_dead_runs(context: SensorEvaluationContext):
    done = dead_runs.recover_dead_runs(context.instance)
    for item in done:
        context.log.warning(item.line())
    return SkipReason("; ".join(r.line() for r in done) or "no run left behind by a dead process")
