"""Recovery from a run whose process died (killed for memory, a reboot, `kill -9`).

Such a run stays STARTED in the Dagster instance and keeps its slot of the `duckdb` pool,
whose limit is 1, so every later run would wait for it forever. Dagster's run monitoring
cannot tell for the default run launcher (it has no worker health check), so the platform
looks itself: a run that is not finished, whose worker process on this machine is gone, is
marked failed and its pool slots are freed; a finished run that still holds a slot has it
freed. `gop run` does this before it starts (one line per run it recovers), and so does the
`recover_dead_runs` sensor for runs started from the UI, a sensor or the schedule.

How a run's process is known:
- `gop run`'s in-process runs carry the tags `gop/pid`, `gop/host` and `gop/process_started`
  (`process_tags`);
- runs launched by the webserver or the daemon carry Dagster's own engine event "Started
  process for run (pid: N)".
A process is the run's when its pid is alive, is no zombie, and was created no later than
the run started it (a pid reused by a newer process is not the run's). A run on another
host, or one whose process is not known yet, is left alone.
"""

import os
import socket
from dataclasses import dataclass

import psutil
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

PID, HOST, STARTED = "gop/pid", "gop/host", "gop/process_started"
UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
_CLOCK_SLACK = 2.0  # seconds: create times and event timestamps come from different clocks


def process_tags() -> dict[str, str]:
    """Tags that tie an in-process run to this process."""
    return {PID: str(os.getpid()), HOST: socket.gethostname(),
            STARTED: f"{psutil.Process().create_time():.3f}"}


@dataclass(frozen=True)
class Recovered:
    run_id: str
    job: str
    pid: int | None
    what: str  # "marked failed" or "slot freed"

    def line(self) -> str:
        if self.what == "slot freed":
            return (f"run {self.run_id[:8]} ({self.job}) had ended but still held a duckdb "
                    "pool slot: freed")
        return (f"run {self.run_id[:8]} ({self.job}) was left {self.what} by process "
                f"{self.pid}, which is gone: marked failed, its duckdb pool slot freed")


def _alive(pid: int, started_by: float | None) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        created = process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return started_by is None or created <= started_by + _CLOCK_SLACK


def worker(instance: DagsterInstance, run) -> tuple[int, float | None] | None:
    """(pid, the latest time that process can have been created) of a run's process on this
    host, or None when it is not known here."""
    tags = run.tags
    if PID in tags:
        if tags.get(HOST) != socket.gethostname():
            return None
        return int(tags[PID]), float(tags[STARTED]) if STARTED in tags else None
    records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ENGINE_EVENT,
                                           ascending=False).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = getattr(event, "engine_event_data", None)
        pid = data.metadata.get("pid") if data is not None else None
        if pid is not None and event is not None and "Started process" in (event.message or ""):
            return int(getattr(pid, "value", pid)), record.event_log_entry.timestamp
    return None


def recover_dead_runs(instance: DagsterInstance) -> list[Recovered]:
    """Mark the unfinished runs whose process is gone failed and free their pool slots; free
    the slots that finished runs still hold. Returns what it did."""
    done: list[Recovered] = []
    for run in instance.get_runs(RunsFilter(statuses=UNFINISHED)):
        found = worker(instance, run)
        if found is None or _alive(*found):
            continue
        status = run.status.value
        instance.report_run_failed(
            run, f"The run's process {found[0]} is gone (killed, out of memory, or the machine "
                 f"restarted) while the run was {status}: marked failed by the platform's "
                 "recovery, and its pool slots freed.")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        done.append(Recovered(run.run_id, run.job_name, found[0], status))
    recovered = {r.run_id for r in done}
    for run_id in instance.event_log_storage.get_concurrency_run_ids() - recovered:
        held = instance.get_run_by_id(run_id)
        if held is None or held.status in FINISHED:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            done.append(Recovered(run_id, held.job_name if held else "?", None, "slot freed"))
    return done
