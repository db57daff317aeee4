"""Configuration: every setting comes from one environment variable with a default.

Read only by `load_settings()`, called where a setting is used (never at import time), so
tests and the CLI can set the environment first.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.core.settings import AlertChannels, GateSettings

# name -> (environment variable, default relative to the working directory)
_DEFAULTS = {
    "landing_dir": ("GOP_LANDING_DIR", "data/landing"),
    "warehouse_path": ("GOP_WAREHOUSE_PATH", "data/warehouse.duckdb"),
    "export_dir": ("GOP_EXPORT_DIR", "data/exports"),
    "dagster_home": ("DAGSTER_HOME", "data/dagster_home"),
    "gx_dir": ("GOP_GX_DIR", "data/gx"),
    "log_dir": ("GOP_LOG_DIR", "data/logs"),
}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    export_dir: Path
    dagster_home: Path
    gx_dir: Path  # GX file context and its rendered Data Docs
    log_dir: Path  # `gop run`'s run logs: the full output of Dagster, dbt and GX
    duckdb_temp_dir: Path  # where DuckDB spills (GOP_DUCKDB_TEMP_DIR, else <warehouse>.tmp)
    # GOP_COMPLEMENTARY_SUPPRESSION=true: beyond SDS's rules, hide further cells of table 1
    # until no `<5` can be recovered by differencing. Default: SDS's published rules only.
    complementary_suppression: bool = False
    # DuckDB, for every connection that writes or reads the warehouse and for dbt
    # (docs/operations.md, "Configuration"): a run that needs more memory than memory_limit
    # spills to duckdb_temp_dir instead of being killed; threads None is DuckDB's default
    # (one per core).
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int | None = None
    # dbt's threads (GOP_DBT_THREADS): models built at the same time share DuckDB's one
    # memory limit, and each query already runs on every DuckDB thread. Two at seven national
    # years ran out of memory (int_stays__lpr3_chained beside a unique test, 4 GB; alone it
    # builds in 39 s), so one by default.
    dbt_threads: int = 1
    # The quality gates' settings and the alert channels (orchestration/core/settings.py).
    gates: GateSettings = GateSettings()
    alerts: AlertChannels = AlertChannels()


def load_settings(**overrides: str | Path | None) -> Settings:
    """Settings from the environment; keyword overrides (e.g. CLI flags) win when not None."""
    values = {}
    for name, (var, default) in _DEFAULTS.items():
        given = overrides.get(name)
        values[name] = Path(given if given is not None else os.environ.get(var, default))
    flag = os.environ.get("GOP_COMPLEMENTARY_SUPPRESSION", "false").strip().lower()
    if flag not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"GOP_COMPLEMENTARY_SUPPRESSION={flag!r}: use true or false")
    memory = os.environ.get("GOP_DUCKDB_MEMORY_LIMIT", "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory, re.I):
        raise ValueError(f"GOP_DUCKDB_MEMORY_LIMIT={memory!r}: use a size such as 4GB or 500MB")
    temp = os.environ.get("GOP_DUCKDB_TEMP_DIR", "").strip()
    threads = os.environ.get("GOP_DUCKDB_THREADS", "").strip()
    if threads and not (threads.isdigit() and int(threads) > 0):
        raise ValueError(f"GOP_DUCKDB_THREADS={threads!r}: use a whole number of at least 1")
    dbt_threads = os.environ.get("GOP_DBT_THREADS", "1").strip()
    if not (dbt_threads.isdigit() and int(dbt_threads) > 0):
        raise ValueError(f"GOP_DBT_THREADS={dbt_threads!r}: use a whole number of at least 1")
    paths = {k: v.absolute() for k, v in values.items()}
    gates, alerts = _gate_settings(), _alert_channels()
    warehouse = paths["warehouse_path"]
    return Settings(**paths,
                    duckdb_temp_dir=(Path(temp).absolute() if temp
                                     else warehouse.with_name(warehouse.name + ".tmp")),
                    complementary_suppression=flag in ("true", "1", "yes"),
                    duckdb_memory_limit=memory.replace(" ", ""),
                    duckdb_threads=int(threads) if threads else None,
                    dbt_threads=int(dbt_threads), gates=gates, alerts=alerts)


def _number(var: str, default: str, kind: type, low: float, high: float | None = None):
    text = os.environ.get(var, default).strip()
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{var}={text!r}: use a {kind.__name__} {bounds}")
    return value


def _gate_settings() -> GateSettings:
    pattern = os.environ.get("GOP_PERSON_KEY_PATTERN") or None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"GOP_PERSON_KEY_PATTERN={pattern!r}: not a regular expression "
                             f"({exc})") from None
    return GateSettings(
        quarantine_threshold=_number("GOP_QUARANTINE_THRESHOLD", "0.001", float, 0, 1),
        quarantine_min_rows=_number("GOP_QUARANTINE_MIN_ROWS", "10", int, 0),
        person_key_pattern=pattern,
        yoy_warn_share=_number("GOP_YOY_WARN_SHARE", "0.5", float, 0),
        data_docs_url=os.environ.get("GOP_DATA_DOCS_URL", "http://127.0.0.1:3001"))


def _alert_channels() -> AlertChannels:
    return AlertChannels(
        webhook_url=os.environ.get("GOP_ALERT_WEBHOOK_URL") or None,
        smtp_host=os.environ.get("GOP_ALERT_SMTP_HOST") or None,
        smtp_port=_number("GOP_ALERT_SMTP_PORT", "25", int, 1, 65535),
        email_from=os.environ.get("GOP_ALERT_EMAIL_FROM", "gop-platform@localhost"),
        email_to=os.environ.get("GOP_ALERT_EMAIL_TO") or None,
        ui_url=os.environ.get("GOP_UI_URL", "http://127.0.0.1:3000"))


def duckdb_config(settings: Settings) -> dict[str, str]:
    """The DuckDB settings of every warehouse connection (Warehouse resource, ingestion,
    gates, exports) and of dbt's (profiles.yml reads the same variables)."""
    config = {"memory_limit": settings.duckdb_memory_limit,
              "temp_directory": str(settings.duckdb_temp_dir)}
    if settings.duckdb_threads:
        config["threads"] = str(settings.duckdb_threads)
    return config


def export_to_environment(settings: Settings) -> None:
    """Make the settings visible to child processes (dbt reads the warehouse path), and keep
    the libraries offline: no telemetry from GX or dbt unless the environment asks for it
    (docs/stack.md)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ["GOP_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["GOP_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["GOP_EXPORT_DIR"] = str(settings.export_dir)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["GOP_GX_DIR"] = str(settings.gx_dir)
    os.environ["GOP_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
    os.environ["GOP_DUCKDB_TEMP_DIR"] = str(settings.duckdb_temp_dir)
    if settings.duckdb_threads:
        os.environ["GOP_DUCKDB_THREADS"] = str(settings.duckdb_threads)
    os.environ["GOP_DBT_THREADS"] = str(settings.dbt_threads)
