"""The dbt resource learns dbt's version without starting dbt once more in every run."""

import subprocess
import sys
from pathlib import Path

import dagster_dbt.core.resource as dagster_dbt_resource
import pytest
from packaging.version import Version

from orchestration.core.paths import DBT_PROJECT_DIR
from orchestration.defs.dbt.assets import LocalDbtCliResource, dbt_executable

pytestmark = pytest.mark.unit


def _no_subprocess(*args, **kwargs):
    raise AssertionError(f"a process was started to learn dbt's version: {args}")


def test_the_local_dbt_version_is_read_without_starting_dbt(monkeypatch):
    printed = subprocess.check_output([dbt_executable(), "--version"], text=True)
    monkeypatch.setattr(dagster_dbt_resource, "check_output", _no_subprocess)
    resource = LocalDbtCliResource(project_dir=str(DBT_PROJECT_DIR),
                                   dbt_executable=dbt_executable())
    assert Path(resource.dbt_executable).parent == Path(sys.executable).parent
    assert f"installed: {resource._cli_version}" in printed


def test_a_dbt_elsewhere_is_still_asked(monkeypatch, tmp_path):
    other = tmp_path / "dbt"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setattr(dagster_dbt_resource, "check_output",
                        lambda cmd: b"Core:\n  - installed: 2.0.0-preview.1\n")
    resource = LocalDbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(other))
    assert resource._cli_version == Version("2.0.0")
