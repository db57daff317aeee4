"""Shared fixtures: small generated extracts, isolated settings, a parsed dbt project."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.app.config import load_settings
from orchestration.core.paths import DBT_PROJECT_DIR
from synthetic.writer import write_extract

# Offline, and quiet: no telemetry from dbt, GX or Dagster (docs/stack.md).
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# The test extracts are 0.1-1 % of national volume, where a month of LPR3 procedures holds
# under a hundred rows; the generator's own rule-breaking rows (two per rule) would pass the
# default 0.1 % and block. 5 % keeps them a quarantine; tests of the gate set their own.
os.environ.setdefault("GOP_QUARANTINE_THRESHOLD", "0.05")

# The end-to-end extract: D-GOP and G-GOP (May 2016), LPR2 and LPR3 (2019 switch).
E2E_MONTHS = ("2016-03", "2019-04")
E2E_SCALE = 0.003
E2E_SEED = 7
# The small run: five months at 1 % of national volume, LPR2 and G-GOP only; the bad-input
# cases start from copies of it, and the browser test shows it in the UI.
SMALL_MONTHS = ("2017-11", "2018-03")
SMALL_SCALE, SMALL_SEED = 0.01, 11


def dbt_bin() -> str:
    return str(Path(sys.executable).parent / "dbt")


@pytest.fixture(scope="session", autouse=True)
def gx_dir(tmp_path_factory) -> Path:
    """GX's file context and Data Docs of the whole test session, outside the repository."""
    path = tmp_path_factory.mktemp("gx")
    os.environ["GOP_GX_DIR"] = str(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def log_dir(tmp_path_factory) -> Path:
    """`gop run`'s run logs of the whole test session, outside the repository."""
    path = tmp_path_factory.mktemp("logs")
    os.environ["GOP_LOG_DIR"] = str(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """dagster-dbt needs the manifest when the definitions load (docs/stack.md)."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        subprocess.run([dbt_bin(), "parse", "--quiet", "--profiles-dir", "."],
                       cwd=DBT_PROJECT_DIR, check=True)
    return manifest


@pytest.fixture(scope="session")
def e2e_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "landing"
    write_extract(out, scale=E2E_SCALE, seed=E2E_SEED, first_month=E2E_MONTHS[0],
                  last_month=E2E_MONTHS[1])
    return out


@pytest.fixture()
def settings(tmp_path, monkeypatch):
    """Settings that point every path into this test's own folder."""
    for var, sub in (("GOP_LANDING_DIR", "landing"), ("GOP_WAREHOUSE_PATH", "wh.duckdb"),
                     ("GOP_EXPORT_DIR", "exports"), ("DAGSTER_HOME", "dagster_home"),
                     ("GOP_GX_DIR", "gx"), ("GOP_LOG_DIR", "logs")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    return load_settings()


ALERT_VARIABLES = ("GOP_ALERT_WEBHOOK_URL", "GOP_ALERT_SMTP_HOST", "GOP_ALERT_EMAIL_TO")


def gop_run_in(root: Path, *args: str, unset: tuple[str, ...] = (),
               env: dict[str, str] | None = None) -> int:
    """`gop run` on `root/landing` into `root`'s warehouse, exports and Dagster instance, with
    no alert channel, the variables `unset` removed and `env` set, for this call only."""
    from orchestration.app.cli import main

    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    for var in ALERT_VARIABLES + unset:
        mp.delenv(var, raising=False)
    for var, value in (env or {}).items():
        mp.setenv(var, value)
    try:
        return main(["run", "--landing", str(root / "landing"), "--warehouse",
                     str(root / "w.duckdb"), "--exports", str(root / "exports"), *args])
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def e2e_run(e2e_landing, tmp_path_factory) -> Path:
    """One `gop run` of the end-to-end extract (D-GOP and G-GOP, LPR2 and LPR3), shared by
    the tests that read a whole run."""
    root = tmp_path_factory.mktemp("e2e_run")
    (root / "landing").symlink_to(e2e_landing, target_is_directory=True)
    assert gop_run_in(root) == 0
    return root


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """One good `gop run` of the small extract; tests copy it before they change anything."""
    root = tmp_path_factory.mktemp("small_run")
    write_extract(root / "landing", scale=SMALL_SCALE, seed=SMALL_SEED,
                  first_month=SMALL_MONTHS[0], last_month=SMALL_MONTHS[1])
    assert gop_run_in(root) == 0
    return root


# First, before pytest-xdist reads the groups in its own hook.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (`make test` runs two workers, `--dist loadgroup`), the tests that
    share an expensive fixture run on one worker, so each `gop run` fixture runs once: a
    session run by every test that uses it, a module's own run by its module's tests. The
    unit and definitions tests go wherever a worker is free."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        shared = next((n for n in ("small_run", "e2e_run") if n in names), None)
        if shared is None and (item.get_closest_marker("unit")
                               or item.get_closest_marker("definitions")):
            continue
        item.add_marker(pytest.mark.xdist_group(shared or item.module.__name__))
