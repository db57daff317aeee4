"""How ingestion runs start without a person: on arrival and on a schedule.

- `new_deliveries` (sensor): notices a new or re-delivered month folder in the landing
  directory by its *content* fingerprint (SHA-256 of its files, compared with what
  `raw._deliveries` says was loaded), and requests one ingestion run for each contiguous
  range of such months. The run key is the months plus their fingerprint, so Dagster starts
  that run once, however many ticks see it; a touched file with the same content is no
  change. File hashes are cached in the cursor by (size, mtime).
- `monthly_refresh` (schedule): on the 5th of each month at 06:00 Copenhagen time, loads the
  newest delivery month again (a no-op replace when nothing changed) and so refreshes
  everything downstream.
- then `refresh_after_ingest` (`orchestration/defs/refresh/automation.py`) rebuilds what lies
  downstream of every successful ingestion run.

The sensors run as soon as a daemon does (`make ui` starts one): a delivery dropped into
the landing directory loads without anyone pressing a button. The schedule starts stopped,
as Dagster's default; a deployment turns it on in the UI (Automation).
"""

import json

import duckdb
from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    schedule,
    sensor,
)

from orchestration.core import ingest
from orchestration.defs.ingestion.jobs import ingest_deliveries_job
from orchestration.defs.ingestion.partitions import RANGE_END, RANGE_START, contiguous_ranges
from orchestration.defs.resources import Landing, Warehouse


def _loaded(warehouse: Warehouse) -> dict[str, str] | None:
    """Month -> fingerprint as loaded; None while another process writes the warehouse."""
    try:
        with warehouse.connect(read_only=True) as con:
            return ingest.loaded_fingerprints(con)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return None
        if "No such file" in str(exc) or "does not exist" in str(exc):
            return {}
        raise


def _months(landing: Landing) -> list[str] | SkipReason:
    """The delivery months, or why nothing loads: a folder that is no month is a delivery
    that cannot be placed (ingest.delivery_months), and the tick says so."""
    try:
        return ingest.delivery_months(landing.root)
    except ingest.ContractError as exc:
        return SkipReason(f"nothing loads while the landing directory holds {exc}")


def _request(first: str, last: str, key: str | None, trigger: str) -> RunRequest:
    tags = {"gop/trigger": trigger}
    if first == last:
        return RunRequest(run_key=key, partition_key=first, tags=tags)
    return RunRequest(run_key=key, tags={**tags, RANGE_START: first, RANGE_END: last})


@sensor(job=ingest_deliveries_job, minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Start an ingestion run when a month folder is new or re-delivered "
                    "(by content fingerprint), once per content.")
def new_deliveries(context: SensorEvaluationContext, landing: Landing, warehouse: Warehouse):
    if not landing.root.exists():
        return SkipReason(f"no landing directory {landing.path}")
    # Even a reader's lock would stop a run's writer from opening DuckDB: read the
    # warehouse only while no run is under way (every writer is a run).
    busy = context.instance.get_runs(RunsFilter(statuses=[
        DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]), limit=1)
    if busy:
        return SkipReason(f"run {busy[0].run_id} is under way; looking again next tick")
    loaded = _loaded(warehouse)
    if loaded is None:
        return SkipReason("the warehouse is being written; looking again next tick")
    cache = json.loads(context.cursor) if context.cursor else {}
    seen: dict[str, list] = {}
    changed: dict[str, str] = {}
    months = _months(landing)
    if isinstance(months, SkipReason):
        return months
    for month in months:
        fingerprint, files = ingest.month_fingerprint(landing.root, month, cache)
        seen.update(files)
        if files and fingerprint != loaded.get(month):
            changed[month] = fingerprint
    context.update_cursor(json.dumps(seen, sort_keys=True))
    if not changed:
        return SkipReason("every month folder is loaded as it is")
    requests = []
    for first, last in contiguous_ranges(list(changed)):
        months = [m for m in changed if first <= m <= last]
        digest = ingest.fingerprint_of(changed[m] for m in months)[:16]
        requests.append(_request(first, last, f"{first}..{last}:{digest}", "new_delivery"))
    return requests


@schedule(job=ingest_deliveries_job, cron_schedule="0 6 5 * *",
          execution_timezone="Europe/Copenhagen",
          description="Monthly refresh: load the newest delivery month, then (through "
                      "refresh_after_ingest) everything downstream.")
def monthly_refresh(context: ScheduleEvaluationContext, landing: Landing):
    months = _months(landing)
    if isinstance(months, SkipReason):
        return months
    if not months:
        return SkipReason(f"no delivery month folder in {landing.path}")
    # One run per tick already; no run key, so a manual re-run of the tick also starts one.
    return _request(months[-1], months[-1], None, "schedule")
