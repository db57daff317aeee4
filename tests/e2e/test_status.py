"""`gop status` (orchestration/app/status.py) tells the loaded months with their fingerprints,
the last runs, the failing checks, the quarantine per month and the exports, from the Dagster
instance alone: it works while a run holds the warehouse, and never opens it."""

import subprocess
import sys
import time

import duckdb
import pytest

from orchestration.core import ingest
from tests.conftest import SMALL_MONTHS

pytestmark = pytest.mark.e2e


def _status(root, env_extra=None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster_home"),
           "GOP_WAREHOUSE_PATH": str(root / "w.duckdb"), **(env_extra or {})}
    gop = str(__import__("pathlib").Path(sys.executable).parent / "gop")
    return subprocess.run([gop, "status", "--exports", str(root / "exports")], env=env,
                          capture_output=True, text=True, timeout=120)


def test_status_shows_what_the_run_recorded(small_run):
    con = duckdb.connect(str(small_run / "w.duckdb"), read_only=True)
    try:
        loaded = ingest.loaded_fingerprints(con)
        quarantined = dict(con.execute(
            "select delivery_month, sum(quarantined_rows) from marts.mart_quarantine_by_delivery"
            " group by all").fetchall())
    finally:
        con.close()
    done = _status(small_run)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"Delivery months loaded: 5 ({SMALL_MONTHS[0]} .. {SMALL_MONTHS[1]})" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()
            if line.startswith("  20")}
    assert set(rows) == set(loaded)
    for month, fingerprint in loaded.items():
        assert rows[month][1] == fingerprint[:12]
        assert int(rows[month][-1].replace(",", "")) == quarantined.get(month, 0)
    assert sum(quarantined.values()) > 0  # the generator's broken rows
    assert "ingest_deliveries    SUCCESS" in text and "refresh_downstream   SUCCESS" in text
    assert "Failing checks (the latest result of each):" in text and "WARN  gx_raw__" in text
    assert "plans_linked.csv" in text and "table1_persons_by_municipality.xlsx" in text


def test_status_answers_while_another_process_writes_the_warehouse(small_run, tmp_path):
    """A run's step holds DuckDB's write lock; `gop status` must neither wait for it nor take
    a lock of its own (a read-only connection would make the writer's next step fail)."""
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(small_run, root, symlinks=True,
                    ignore=shutil.ignore_patterns("landing"))
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "c.execute('create table if not exists main.held (x int)'); print('held', flush=True);"
         " time.sleep(60)", str(root / "w.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        started = time.monotonic()
        done = _status(root)
        assert done.returncode == 0, done.stderr
        assert "Delivery months loaded: 5" in done.stdout
        assert time.monotonic() - started < 60
        # the writer was never disturbed: it still holds the file alone
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(root / "w.duckdb"), read_only=True)
    finally:
        writer.kill()
        writer.wait()
