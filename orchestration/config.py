"""Configuration: every setting comes from one environment variable with a default.

Read only by `load_settings()`, called where a setting is used (never at import time), so
tests and the CLI can set the environment first.
"""

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# name -> (environment variable, default relative to the working directory)
_DEFAULTS = {
    "landing_dir": ("GOP_LANDING_DIR", "data/landing"),
    "warehouse_path": ("GOP_WAREHOUSE_PATH", "data/warehouse.duckdb"),
    "export_dir": ("GOP_EXPORT_DIR", "data/exports"),
    "dagster_home": ("DAGSTER_HOME", "data/dagster_home"),
    "gx_dir": ("GOP_GX_DIR", "data/gx"),
}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    export_dir: Path
    dagster_home: Path
    gx_dir: Path  # GX file context and its rendered Data Docs
    # GOP_COMPLEMENTARY_SUPPRESSION=true: beyond SDS's rules, hide further cells of table 1
    # until no `<5` can be recovered by differencing. Default: SDS's published rules only.
    complementary_suppression: bool = False


def load_settings(**overrides: str | Path | None) -> Settings:
    """Settings from the environment; keyword overrides (e.g. CLI flags) win when not None."""
    values = {}
    for name, (var, default) in _DEFAULTS.items():
        given = overrides.get(name)
        values[name] = Path(given if given is not None else os.environ.get(var, default))
    flag = os.environ.get("GOP_COMPLEMENTARY_SUPPRESSION", "false").strip().lower()
    if flag not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"GOP_COMPLEMENTARY_SUPPRESSION={flag!r}: use true or false")
    return Settings(**{k: v.absolute() for k, v in values.items()},
                    complementary_suppression=flag in ("true", "1", "yes"))


def export_to_environment(settings: Settings) -> None:
    """Make the settings visible to child processes (dbt reads the warehouse path)."""
    os.environ["GOP_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["GOP_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["GOP_EXPORT_DIR"] = str(settings.export_dir)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["GOP_GX_DIR"] = str(settings.gx_dir)
