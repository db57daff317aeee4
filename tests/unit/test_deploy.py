"""The deployment's files agree with each other (deploy/, docs/operations.md "Deploying"):
what the instance and the units read from the environment is in the environment file, and
the systemd units run the same two services as `make serve`. That they work is shown on a
real PostgreSQL instance by tests/e2e/test_postgres_instance.py."""

import configparser
import re

import pytest
import yaml

from orchestration.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.unit

DEPLOY = PROJECT_ROOT / "deploy"


def _env_file() -> dict[str, str]:
    lines = (DEPLOY / "gop.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / name)
    return unit


def test_what_the_instance_and_the_units_read_is_in_the_environment_file():
    env = _env_file()
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    pg = config["storage"]["postgres"]["postgres_db"]
    needed = {v["env"] for v in pg.values() if isinstance(v, dict)}
    for name in ("gop-dagster-daemon.service", "gop-dagster-webserver.service"):
        needed |= set(re.findall(r"\$\{(\w+)\}", _unit(name)["Service"]["ExecStart"]))
    assert needed and needed <= set(env), needed - set(env)
    assert {"DAGSTER_HOME", "GOP_LANDING_DIR", "GOP_WAREHOUSE_PATH", "GOP_EXPORT_DIR"} <= set(env)
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1  # one DuckDB writer


def test_the_units_run_the_two_services_that_make_serve_runs():
    serve = (DEPLOY / "serve.sh").read_text()
    for name, program in (("gop-dagster-daemon.service", "dagster-daemon run"),
                          ("gop-dagster-webserver.service", "dagster-webserver")):
        service = _unit(name)["Service"]
        assert service["EnvironmentFile"] == "/etc/gop-platform/gop.env"
        assert service["ExecStart"].split("/.venv/bin/", 1)[1].startswith(program)
        assert "-w workspace.yaml" in service["ExecStart"]
        assert f'"$bin/{program}' in serve or f'"$bin/{program.split()[0]}" run' in serve
    assert 'deploy/serve.sh' in (PROJECT_ROOT / "Makefile").read_text()
