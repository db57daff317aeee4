"""`gop status`: what an on-call person asks first, read without getting in a run's way.

It reads the Dagster instance (made for readers beside a running job) and the export
folder, and never the warehouse: even a read-only DuckDB connection takes a lock that makes
the one writer's next step fail to open the file (docs/stack.md). So what it shows is what
the runs recorded: each delivery month loaded (an observation of the delivery log
`platform/deliveries`, orchestration/defs/ingestion/assets.py), the runs and their results,
the latest result of every check, the quarantine mart's rows per delivery month, and the
exports.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance, RunsFilter

from orchestration.app.config import Settings
from orchestration.core.ingest import SNAPSHOT
from orchestration.defs.ingestion.assets import DELIVERY_LOG

JOBS = ("ingest_deliveries", "refresh_downstream")
QUARANTINE = AssetKey(["marts", "mart_quarantine_by_delivery"])
QUARANTINE_BY_MONTH = "quarantined_rows_by_delivery_month"
PAGE = 1000


@dataclass
class LoadedMonth:
    fingerprint: str  # as ingestion computes it (ingest.loaded_fingerprints)
    rows: int
    loaded_at: float


def _value(metadata: Any, name: str) -> Any:
    """A metadata entry's value (None when absent)."""
    entry = (metadata or {}).get(name)
    return getattr(entry, "value", entry)


def _observations(instance: DagsterInstance, key: AssetKey) -> Iterator[Any]:
    """Every observation of an asset, newest first."""
    cursor = None
    while True:
        page = instance.fetch_observations(key, limit=PAGE, cursor=cursor)
        yield from page.records
        if not page.has_more:
            return
        cursor = page.cursor


def loaded_months(instance: DagsterInstance) -> dict[str, LoadedMonth]:
    """Per delivery month (and the CPR snapshot, 'snapshot'), its latest load, from the
    delivery log's observations."""
    months: dict[str, LoadedMonth] = {}
    for record in _observations(instance, DELIVERY_LOG):
        meta = record.asset_observation.metadata
        month = _value(meta, "delivery_month")
        if month and month not in months:
            months[month] = LoadedMonth(_value(meta, "fingerprint"), int(_value(meta, "rows")),
                                        record.timestamp)
    return dict(sorted(months.items()))


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "-"


def _runs(instance: DagsterInstance) -> list[str]:
    lines = []
    for job in JOBS:
        records = instance.get_run_records(RunsFilter(job_name=job), limit=1)
        if not records:
            lines.append(f"  {job:<20} never run")
            continue
        record = records[0]
        run = record.dagster_run
        took = (f", {record.end_time - record.start_time:.0f} s"
                if record.start_time and record.end_time else "")
        span = (f" {run.tags['dagster/asset_partition_range_start']} .. "
                f"{run.tags['dagster/asset_partition_range_end']}"
                if "dagster/asset_partition_range_start" in run.tags else "")
        lines.append(f"  {job:<20} {run.status.value:<9} started {_when(record.start_time)}"
                     f"{took}, run {run.run_id[:8]}{span}")
    return lines


def _failing_checks(instance: DagsterInstance, settings: Settings) -> list[str]:
    """The checks whose latest result is a failure: ERROR ones block, WARN ones warn."""
    from orchestration.definitions import build_definitions

    keys = list(build_definitions(settings).resolve_asset_graph().asset_check_keys)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    lines = []
    for key, record in sorted(latest.items(), key=lambda kv: str(kv[0])):
        if record.status.value != "FAILED" or record.event is None:
            continue
        evaluation: Any = record.event.get_dagster_event().event_specific_data
        meta = evaluation.metadata
        rules = _value(meta, "rules") or ""
        rows = _value(meta, "failing_rows")
        rows = _value(meta, "dagster_dbt/failed_row_count") if rows is None else rows
        count = f", {rows} failing rows" if rows is not None else ""
        lines.append(f"  {evaluation.severity.value:<5} {key.name} on "
                     f"{key.asset_key.to_user_string()} ({_when(record.create_timestamp)}"
                     f"{count}){': ' + rules if rules else ''}")
    return lines


def _quarantine(instance: DagsterInstance) -> tuple[dict[str, int], float | None]:
    records = instance.fetch_materializations(QUARANTINE, limit=1).records
    if not records:
        return {}, None
    materialization: Any = records[0].asset_materialization
    by_month = _value(materialization.metadata, QUARANTINE_BY_MONTH) or {}
    return {str(k): int(v) for k, v in by_month.items()}, records[0].timestamp


def _exports(export_dir: Path) -> list[str]:
    if not export_dir.is_dir():
        return [f"  none yet in {export_dir}"]
    lines = [f"  in {export_dir}:"]
    for path in sorted(export_dir.iterdir()):
        if path.is_dir():
            count = sum(1 for p in path.rglob("*") if p.is_file())
            lines.append(f"    {path.name}/ ({count} files)")
        else:
            stat = path.stat()
            lines.append(f"    {path.name:<40} {stat.st_size:>12,} bytes  "
                         f"written {_when(stat.st_mtime)}")
    return lines


def status_report(settings: Settings) -> str:
    if not (settings.dagster_home / "dagster.yaml").exists():
        return (f"no Dagster instance at {settings.dagster_home}: nothing has run here yet "
                "(DAGSTER_HOME)")
    instance = DagsterInstance.from_config(str(settings.dagster_home))
    months = loaded_months(instance)
    address = months.pop(SNAPSHOT, None)
    quarantined, computed = _quarantine(instance)
    lines = [f"Dagster instance: {settings.dagster_home}",
             f"Delivery months loaded: {len(months)}"
             + (f" ({min(months)} .. {max(months)})" if months else ""),
             "CPR address snapshot: "
             + (f"loaded {_when(address.loaded_at)}, {address.rows:,} rows, fingerprint "
                f"{address.fingerprint[:12]}" if address else "not loaded")]
    if months:
        lines.append(f"  {'month':<8} {'fingerprint':<13} {'rows':>13}  {'loaded':<16}  "
                     f"quarantined (as of the refresh of {_when(computed)})")
        for month, loaded in months.items():
            lines.append(f"  {month:<8} {loaded.fingerprint[:12]:<13} {loaded.rows:>13,}  "
                         f"{_when(loaded.loaded_at):<16}  {quarantined.get(month, 0):>11,}")
    lines.append("Last runs:")
    lines += _runs(instance)
    failing = _failing_checks(instance, settings)
    lines.append(f"Failing checks (the latest result of each): {len(failing) or 'none'}")
    lines += failing
    lines.append("Exports:")
    lines += _exports(settings.export_dir)
    return "\n".join(lines)
