"""A killed run is recovered from by the next one (orchestration/defs/recovery/dead_runs.py).

Real `gop run` processes on a tiny extract: one is killed (SIGKILL, as the kernel does on
out-of-memory) once its ingestion step has started, which leaves its run STARTED holding the
only slot of the `duckdb` pool; the next `gop run` must say so in one line, mark it failed,
free the slot and finish. SIGTERM during a dbt step is a stop that the output names (Dagster
marks that run failed itself)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from synthetic.writer import write_extract

pytestmark = pytest.mark.e2e

MONTHS = ("2018-01", "2018-02")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("recovery") / "landing"
    write_extract(out, scale=0.002, seed=5, first_month=MONTHS[0], last_month=MONTHS[1])
    return out


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOP_ALERT")}
    env.update(DAGSTER_HOME=str(root / "dagster_home"), GOP_GX_DIR=str(root / "gx"))
    return env


def _gop_run(root: Path, landing: Path) -> subprocess.Popen:
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from orchestration.app.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "run", "--landing", str(landing), "--warehouse",
         str(root / "w.duckdb"), "--exports", str(root / "exports")],
        env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_step(root: Path, step_prefix: str, process: subprocess.Popen,
                   timeout: float = 240) -> str:
    """The run id once a step whose key starts with `step_prefix` has started."""
    instance = DagsterInstance.from_config(str(root / "dagster_home"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        for run in instance.get_runs(limit=3):
            starts = instance.get_records_for_run(
                run.run_id, of_type=DagsterEventType.STEP_START).records
            if any(r.event_log_entry.dagster_event.step_key.startswith(step_prefix)
                   for r in starts):
                return run.run_id
        time.sleep(0.05)
    raise AssertionError(f"no step {step_prefix}* started in {timeout} s")


def test_a_run_killed_during_ingestion_is_recovered_by_the_next(landing, tmp_path):
    first = _gop_run(tmp_path, landing)
    run_id = _wait_for_step(tmp_path, "raw_monthly_deliveries", first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    instance = DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    assert instance.get_run_by_id(run_id).status == DagsterRunStatus.STARTED

    second = _gop_run(tmp_path, landing)
    out, _ = second.communicate(timeout=420)

    assert second.returncode == 0, out
    recovered = [line for line in out.splitlines() if run_id[:8] in line]
    assert recovered == [f"gop run: run {run_id[:8]} (ingest_deliveries) was left STARTED by "
                         f"process {first.pid}, which is gone: marked failed, its duckdb "
                         "pool slot freed"], out
    instance = DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_run_ids() == set()
    assert (tmp_path / "exports" / "table1_persons_by_municipality.csv").exists()


def test_sigterm_during_a_dbt_step_is_named(landing, tmp_path):
    first = _gop_run(tmp_path, landing)
    _wait_for_step(tmp_path, "dbt_staging", first)
    first.send_signal(signal.SIGTERM)
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 128 + signal.SIGTERM, out
    assert "STOPPED by SIGTERM" in out or "stopped by SIGTERM" in out, out
    assert "DagsterExecutionInterruptedError" not in out.splitlines()[-1]
