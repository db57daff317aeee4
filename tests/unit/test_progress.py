"""What `gop run` shows (orchestration/app/progress.py): everything said during a run goes to
the run log and not to the screen, a line per step, and a summary that ends with the failure
and the log's path."""

import io
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster import AssetCheckSeverity, DagsterEventType

from orchestration.app.progress import Progress, captured_output
from orchestration.app.runner import RunSummary
from orchestration.core import progress

pytestmark = pytest.mark.unit


def test_everything_said_during_a_run_goes_to_the_log_and_only_what_is_shown_to_the_screen(
        tmp_path, capfd):
    log = tmp_path / "logs" / "run.log"
    with captured_output(log) as screen:
        print("from print")
        sys.stderr.write("from stderr\n")
        subprocess.run([sys.executable, "-c", "import os; os.write(1, b'from a child\\n');"
                        "os.write(2, b'child stderr\\n')"], check=True)
        screen.write("shown\n")
    print("after")
    out = capfd.readouterr()
    assert "shown" in out.out and "after" in out.out
    assert not {"from print", "from stderr", "from a child", "child stderr"} & set(
        (out.out + out.err).splitlines())
    assert set(log.read_text().splitlines()) == {"from print", "from stderr", "from a child",
                                                 "child stderr"}


def test_verbose_shows_everything_and_still_logs_it(tmp_path, capfd):
    log = tmp_path / "run.log"
    with captured_output(log, verbose=True):
        print("said")
    assert "said" in capfd.readouterr().out and log.read_text() == "said\n"


def test_a_child_that_outlives_the_run_does_not_hold_it_up(tmp_path):
    """A process started during the run that keeps the output open (multiprocessing's
    resource tracker does) must not make the run wait for it."""
    import time

    started = time.monotonic()
    with captured_output(tmp_path / "run.log"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])
    try:
        assert time.monotonic() - started < 5
    finally:
        child.kill()
        child.wait()


def _event(kind, step, **data):
    return {"step_key": step, "orig_message": "", "dagster_event": SimpleNamespace(
        event_type=kind, event_specific_data=SimpleNamespace(**data))}


def test_a_line_per_step_with_its_rows_and_the_checks_counted():
    screen = io.StringIO()
    shown = Progress(screen)
    materialized = SimpleNamespace(asset_key="a",
                                   metadata={"dagster/row_count": SimpleNamespace(value=1200)})
    other = SimpleNamespace(asset_key="b", metadata=materialized.metadata)
    shown.handle(_event(DagsterEventType.STEP_START, "dbt_staging"))
    shown.handle({"step_key": "dbt_staging", "dagster_event": None,
                  "orig_message": progress.message("dbt: 3 of 9 models built")})
    # a range of months records each asset once per month: its rows count once
    for m in (materialized, materialized, other):
        shown.handle(_event(DagsterEventType.ASSET_MATERIALIZATION, "dbt_staging",
                            materialization=m))
    for passed, severity in ((True, AssetCheckSeverity.ERROR), (False, AssetCheckSeverity.WARN),
                             (False, AssetCheckSeverity.ERROR)):
        shown.handle(_event(DagsterEventType.ASSET_CHECK_EVALUATION, "gx_staging",
                            passed=passed, severity=severity, metadata={}))
    shown.handle(_event(DagsterEventType.STEP_SUCCESS, "dbt_staging"))
    lines = screen.getvalue().splitlines()
    assert lines[0] == "       dbt_staging: dbt: 3 of 9 models built"  # not a terminal
    assert lines[1].startswith("ok     dbt_staging") and "2,400 rows" in lines[1]
    assert shown.checks == {"passed": 1, "warned": 1, "failed": 1}


def test_on_a_terminal_progress_is_one_line_redrawn_and_cleared_by_the_next_step_line():
    screen = io.StringIO()
    shown = Progress(screen, is_terminal=True)
    shown.handle(_event(DagsterEventType.STEP_START, "raw_monthly_deliveries"))
    shown.status("loading: 3/36 files read")
    shown.handle(_event(DagsterEventType.STEP_FAILURE, "raw_monthly_deliveries"))
    text = screen.getvalue()
    assert text.count("\n") == 1 and "\r\x1b[2Kloading: 3/36 files read" in text
    assert text.rsplit("\r\x1b[2K", 1)[1].startswith("FAILED raw_monthly_deliveries")


def test_the_summary_ends_with_the_failure_and_the_log():
    summary = RunSummary(success=False, months=["2019-01"], export_dir=Path("x"),
                         failures=["step dbt_staging: dbt build of the staging layer failed"],
                         warnings=["check gx_raw__t on t failed (WARN, 2 failing rows) " * 9],
                         checks={"passed": 5, "warned": 1, "failed": 1},
                         alerts=[("Run failed: refresh_downstream", ["webhook", "smtp"]),
                                 ("Quality warning: ingest_deliveries", [])],
                         log_path=Path("data/logs/gop-run-1.log"))
    lines = summary.describe().splitlines()
    assert lines[-3:] == ["FAILED:", "  step dbt_staging: dbt build of the staging layer failed",
                          "full log: data/logs/gop-run-1.log"]
    assert "checks: 5 passed, 1 warned, 1 failed" in lines
    assert "alerts sent: Run failed: refresh_downstream (by webhook and smtp)" in lines
    assert any(line.startswith("alerts NOT SENT") and line.endswith(
        "Quality warning: ingest_deliveries") for line in lines)
    assert max(len(line) for line in lines if "WARN" in line) <= 2 + 160
