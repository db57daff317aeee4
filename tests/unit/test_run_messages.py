"""What `gop run` says: the summary, a failed dbt step, and the recovery of a dead run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.events import EngineEventData
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.app.runner import RunSummary
from orchestration.defs.dbt.assets import dbt_failures
from orchestration.defs.recovery import dead_runs

pytestmark = pytest.mark.unit

WARN = ("check gx_raw__lpr2__t_bes on lpr2/t_bes failed (WARN, 2 failing rows, 2 rows to "
        "quarantine): v_recnum points at a t_adm row")


def test_a_failed_run_says_how_many_months_loaded_and_keeps_warnings_apart():
    summary = RunSummary(success=False, months=["2019-01", "2019-02"], export_dir=Path("x"),
                         failures=["step raw_monthly_deliveries: broken"], warnings=[WARN],
                         loaded=["2019-01"])
    text = summary.describe()
    assert text.startswith("loaded 1 of 2 delivery months (2019-01 .. 2019-01)")
    failed = text.split("FAILED:")[1]
    assert "broken" in failed and "WARN" not in failed
    assert WARN in text.split("FAILED:")[0]


def test_no_refresh_is_no_failure():
    summary = RunSummary(success=True, months=["2019-01"], export_dir=Path("x"),
                         loaded=["2019-01"])
    text = summary.describe()
    assert "FAILED" not in text and "not rebuilt (--no-refresh)" in text


def test_a_stopped_run_names_its_signal():
    summary = RunSummary(success=False, months=["2019-01"], export_dir=Path("x"),
                         stopped_by="SIGTERM")
    assert "STOPPED by SIGTERM" in summary.describe()


def test_a_failed_dbt_step_names_its_models_and_tests_without_quoting_values(tmp_path):
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "model.gop_platform.stg_lpr2__t_adm", "status": "success"},
        {"unique_id": "test.gop_platform.not_null_stg_x_person_key.1a2b", "status": "fail",
         "message": "Got 3 results, configured to fail if != 0"},
        {"unique_id": "model.gop_platform.int_stays", "status": "error",
         "message": "Conversion Error: Could not convert string 'SECRET-KEY' to INT32\nmore"},
    ]}))
    assert dbt_failures(tmp_path / "run_results.json") == [
        "test not_null_stg_x_person_key: Got 3 results, configured to fail if != 0",
        "model int_stays: Conversion Error: Could not convert string '…' to INT32"]


def test_a_daemon_run_whose_worker_died_is_marked_failed(tmp_path):
    """A run launched by the webserver or daemon is known by Dagster's own engine event
    "Started process for run (pid: N)"; here N is a process that has ended."""
    instance = DagsterInstance.ephemeral()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run = instance.add_run(DagsterRun(job_name="refresh_downstream", run_id="a" * 32,
                                      status=DagsterRunStatus.STARTED))
    instance.report_engine_event(f"Started process for run (pid: {gone.pid}).", run,
                                 EngineEventData.in_process(gone.pid))
    alive = instance.add_run(DagsterRun(job_name="ingest_deliveries", run_id="b" * 32,
                                        status=DagsterRunStatus.STARTED,
                                        tags=dead_runs.process_tags()))
    done = dead_runs.recover_dead_runs(instance)
    assert [(r.run_id, r.pid) for r in done] == [(run.run_id, gone.pid)]
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED
