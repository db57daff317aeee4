"""dbt's run folders under dbt_project/target do not grow without bound."""

import os
import time

import pytest

from orchestration.defs.dbt.assets import prune_run_folders

pytestmark = pytest.mark.unit


def test_old_run_folders_beyond_the_newest_are_removed(tmp_path):
    now = time.time()
    ages = {"run-a": 0.5, "run-b": 2, "run-c": 3, "dbt_marts-1234567-abcdef0": 4, "run-d": 5}
    for name, days in ages.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
        os.utime(tmp_path / name, (now - days * 86400, now - days * 86400))
    (tmp_path / "compiled").mkdir()  # dbt's own folders stay
    (tmp_path / "partial_parse.msgpack").write_bytes(b"")

    removed = prune_run_folders(tmp_path, keep=2)

    assert sorted(p.name for p in removed) == ["dbt_marts-1234567-abcdef0", "run-c", "run-d"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "compiled", "partial_parse.msgpack", "run-a", "run-b"]


def test_a_folder_younger_than_a_day_stays_even_beyond_the_newest(tmp_path):
    for name in ("run-a", "run-b", "run-c"):
        (tmp_path / name).mkdir()
    assert prune_run_folders(tmp_path, keep=1) == []
