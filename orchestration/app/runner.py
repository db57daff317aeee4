"""Run the platform in-process through Dagster (what `gop run` and `make demo` do).

Delivery months load as one run per contiguous range of months (a single-run backfill),
then one run rebuilds everything that is not a delivery month. Runs are recorded in the
Dagster instance under DAGSTER_HOME, so `make ui` shows them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from dagster import DagsterInstance

from orchestration.app.config import Settings, export_to_environment
from orchestration.app.progress import Progress, progress_logger
from orchestration.core.contract import SNAPSHOT_TABLES
from orchestration.core.ingest import (
    ContractError,
    changed_months,
    delivery_months,
    ensure_raw_schema,
    find_file,
)
from orchestration.core.refresh import FULL_REFRESH_TAG
from orchestration.defs.ingestion.partitions import RANGE_END, RANGE_START, contiguous_ranges

# Dagster's own DEBUG event lines would print one line per partition and asset.
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
# A warning is a line of the summary; its whole text is in the alert and the run log.
WARNING_WIDTH = 160

DAGSTER_YAML = """\
# Written by the platform on first run; edit freely (docs/operations.md, "Instance").
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1  # DuckDB has one writer (docs/stack.md)
  pools:
    default_limit: 1  # the `duckdb` pool: one step that writes the warehouse at a time
"""


class NothingToLoad(Exception):
    """The landing directory has no delivery month (or none in the requested range)."""


@dataclass
class RunSummary:
    success: bool
    months: list[str]
    export_dir: Path
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)  # months whose ingestion run succeeded
    unchanged: list[str] = field(default_factory=list)  # loaded before as they are now
    refreshed: bool = False
    stopped_by: str | None = None  # the signal that stopped the run, e.g. SIGTERM
    checks: dict[str, int] = field(default_factory=dict)  # passed / warned / failed
    # each alert due: its title and the channels that took it (none: not sent)
    alerts: list[tuple[str, list[str]]] = field(default_factory=list)
    log_path: Path | None = None  # the run log with everything Dagster, dbt and GX said

    def describe(self) -> str:
        """The closing summary: months, checks, alerts, exports; a failure in the last
        lines, then where the whole log is."""
        span = (f" ({self.loaded[0]} .. {self.loaded[-1]})" if self.loaded else "")
        lines = [f"loaded {len(self.loaded)} of {len(self.months)} delivery months{span}"
                 + (f"; {len(self.unchanged)} unchanged since they were loaded"
                    if self.unchanged else "")]
        if self.checks:
            lines.append("checks: " + ", ".join(f"{n} {state}"
                                                for state, n in self.checks.items()))
        sent = [f"{title} (by {' and '.join(to)})" for title, to in self.alerts if to]
        unsent = [title for title, to in self.alerts if not to]
        if sent:
            lines.append(f"alerts sent: {'; '.join(sent)}")
        if unsent:
            lines.append(f"alerts NOT SENT (no alert channel configured, or none answered; "
                         f"docs/operations.md): {'; '.join(unsent)}")
        if self.warnings:
            lines.append("WARNINGS:")
            lines += [f"  {_shorten(w)}" for w in self.warnings]
        if self.success and not self.refreshed:
            lines.append("the marts and exports were not rebuilt (--no-refresh)")
        elif self.success and self.exports:
            lines.append(f"exports in {self.export_dir}: "
                         + ", ".join(p.name + ("/" if p.is_dir() else "") for p in self.exports))
        if not self.success:
            lines.append(f"STOPPED by {self.stopped_by}: the step under way was interrupted; "
                         "what it had not committed was not written" if self.stopped_by
                         else "FAILED:")
            lines += [f"  {f}" for f in self.failures]
        if self.log_path is not None:
            lines.append(f"full log: {self.log_path}")
        return "\n".join(lines)


def _shorten(text: str) -> str:
    return text if len(text) <= WARNING_WIDTH else text[:WARNING_WIDTH - 1] + "…"


def prepare_instance(settings: Settings) -> DagsterInstance:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return DagsterInstance.get()


def _fail(summary: RunSummary, instance, result, settings: Settings) -> RunSummary:
    """Record a failed run's steps and checks, and alert: in-process runs have no sensor
    daemon, so `gop run` alerts itself with the same message as the sensors. A WARN check
    of the failed run is a warning, not one of its failures."""
    from orchestration.defs.alerts import channels

    summary.success = False
    alert = channels.alert_for_run(instance, result.dagster_run, failed=True,
                                   channels=settings.alerts)
    _alerted(summary, alert)
    summary.failures = [f for f in alert.failures if not channels.is_warning(f)]
    summary.warnings += [f for f in alert.failures if channels.is_warning(f)]
    return summary


def _warn(summary: RunSummary, instance, result, settings: Settings) -> None:
    """A successful run whose warn checks failed alerts too, as the sensor would."""
    from orchestration.defs.alerts import channels

    alert = channels.alert_for_run(instance, result.dagster_run, failed=False,
                                   channels=settings.alerts)
    _alerted(summary, alert)
    summary.warnings += alert.failures


def _alerted(summary: RunSummary, alert) -> None:
    if alert.title:
        summary.alerts.append((alert.title, list(alert.delivered)))


def _execute(job, instance, tags: dict[str, str], progress: Progress | None):
    """Run a job in this process; its events also go to `progress` (the screen)."""
    if progress is None:
        return job.execute_in_process(instance=instance, run_config=QUIET,
                                      raise_on_error=False, tags=tags)
    from dagster._loggers import colored_console_logger

    loggers = {"console": colored_console_logger, "gop_progress": progress_logger(progress)}
    config = {"loggers": {**QUIET["loggers"], "gop_progress": {}}}
    return job.with_logger_defs(loggers).execute_in_process(
        instance=instance, run_config=config, raise_on_error=False, tags=tags)


def _changed(settings: Settings, months: list[str]) -> list[str]:
    """The months whose folder differs from what the warehouse holds (a monthly run loads
    the new month, not seven years again)."""
    if not settings.warehouse_path.exists():
        return months
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        ensure_raw_schema(con)
        return changed_months(con, settings.landing_dir, months)
    finally:
        con.close()


def run_platform(settings: Settings, first: str | None = None, last: str | None = None,
                 refresh: bool = True, notify: Callable[[str], None] = print,
                 reload: bool = False, full_refresh: bool = False,
                 progress: Progress | None = None) -> RunSummary:
    """Load the months that changed since they were loaded (all of them with `reload`) and
    refresh; `notify` gets a line for each run recovered from a dead process before this one
    starts (orchestration/defs/recovery/dead_runs.py), `progress` each run's events."""
    from orchestration.definitions import build_definitions
    from orchestration.defs.recovery import dead_runs

    landing = settings.landing_dir
    if not landing.is_dir():
        raise NothingToLoad(f"the landing directory {landing} does not exist")
    try:
        found = delivery_months(landing)
    except ContractError as exc:
        # A folder that is no month is a delivery that cannot be placed: refused before any
        # run, with the same alert a refused delivery gets (orchestration/defs/alerts/channels.py).
        from orchestration.defs.alerts import channels

        channels.send(channels.Alert("Delivery refused: a folder cannot be placed", "-", "gop run",
                                     [str(exc)]), settings.alerts)
        raise
    months = [m for m in found
              if (first is None or m >= first) and (last is None or m <= last)]
    if not months:
        raise NothingToLoad(f"no delivery month folders (YYYY-MM) in {landing}"
                            + (f" between {first} and {last}" if first or last else ""))
    if any(find_file(landing, t, None) is None for t in SNAPSHOT_TABLES):
        raise NothingToLoad(f"no cpr/t_adresse.csv or .parquet in {landing}")
    export_to_environment(settings)
    instance = prepare_instance(settings)
    for recovered in dead_runs.recover_dead_runs(instance):
        notify(f"gop run: {recovered.line()}")
    defs = build_definitions(settings)
    summary = RunSummary(success=True, months=months, export_dir=settings.export_dir)
    to_load = months if reload else _changed(settings, months)
    summary.unchanged = [m for m in months if m not in to_load]
    ingest = defs.resolve_job_def("ingest_deliveries")
    tags = {"gop/trigger": "cli", **dead_runs.process_tags()}
    for start, end in contiguous_ranges(to_load):
        result = _execute(ingest, instance, {RANGE_START: start, RANGE_END: end, **tags},
                          progress)
        if not result.success:
            return _fail(summary, instance, result, settings)
        summary.loaded += [m for m in to_load if start <= m <= end]
        _warn(summary, instance, result, settings)
    if not refresh:
        return summary
    forced = {FULL_REFRESH_TAG: "true"} if full_refresh else {}
    result = _execute(defs.resolve_job_def("refresh_downstream"), instance,
                      {**tags, **forced, "gop/run_date": date.today().isoformat()}, progress)
    if not result.success:
        return _fail(summary, instance, result, settings)
    summary.refreshed = True
    _warn(summary, instance, result, settings)
    summary.exports = sorted(settings.export_dir.glob("*")) if settings.export_dir.is_dir() else []
    return summary
