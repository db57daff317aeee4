"""The arrival sensor, the monthly schedule and the refresh chain, evaluated
against a small landing directory and warehouse."""

import os
import shutil
import subprocess
import sys

import duckdb
import pytest
from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
)

from orchestration.core import ingest
from orchestration.defs.ingestion.automation import monthly_refresh, new_deliveries
from orchestration.defs.ingestion.partitions import RANGE_END, RANGE_START
from orchestration.defs.refresh.automation import refresh_after_ingest
from orchestration.defs.resources import Landing, Warehouse
from synthetic.writer import write_extract

pytestmark = pytest.mark.definitions

MONTHS = ("2019-01", "2019-02")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    out = tmp_path_factory.mktemp("automation") / "landing"
    write_extract(out, scale=0.001, seed=5, first_month=MONTHS[0], last_month=MONTHS[1])
    return out


@pytest.fixture()
def world(delivered, tmp_path):
    shutil.copytree(delivered, tmp_path / "landing")
    return {"landing": Landing(path=str(tmp_path / "landing")),
            "warehouse": Warehouse(path=str(tmp_path / "w.duckdb"))}


def evaluate(world, cursor=None, instance=None):
    context = build_sensor_context(cursor=cursor, resources=world,
                                   instance=instance or DagsterInstance.ephemeral())
    result = new_deliveries(context)
    requests = result if isinstance(result, list) else [result]
    return requests, context.cursor


def load(world, months):
    con = duckdb.connect(world["warehouse"].path)
    try:
        ingest.load(con, world["landing"].root, months)
    finally:
        con.close()


def test_new_months_are_requested_once_as_one_range(world):
    (request,), cursor = evaluate(world)
    assert isinstance(request, RunRequest)
    assert request.tags[RANGE_START] == MONTHS[0] and request.tags[RANGE_END] == MONTHS[1]
    # The next tick asks for the same run: same key, which Dagster starts once.
    (again,), _ = evaluate(world, cursor)
    assert again.run_key == request.run_key


def test_a_loaded_month_is_not_requested_and_a_touch_is_no_change(world):
    load(world, [MONTHS[0]])
    (request,), cursor = evaluate(world)
    assert request.partition_key == MONTHS[1]
    adm = world["landing"].root / MONTHS[0] / "lpr2" / "t_adm.csv"
    os.utime(adm, ns=(adm.stat().st_atime_ns, adm.stat().st_mtime_ns + 10**9))
    (again,), _ = evaluate(world, cursor)
    assert again.partition_key == MONTHS[1] and again.run_key == request.run_key
    load(world, [MONTHS[1]])
    (skip,), _ = evaluate(world, cursor)
    assert isinstance(skip, SkipReason)


def test_a_redelivered_month_is_requested_with_a_new_key(world):
    load(world, list(MONTHS))
    adm = world["landing"].root / MONTHS[0] / "lpr2" / "t_adm.csv"
    lines = adm.read_text(encoding="utf-8").splitlines(keepends=True)
    adm.write_text("".join(lines[:-1]), encoding="utf-8")  # a correction drops a row
    (request,), cursor = evaluate(world)
    assert request.partition_key == MONTHS[0]
    load(world, [MONTHS[0]])
    (skip,), _ = evaluate(world, cursor)
    assert isinstance(skip, SkipReason)


def test_the_sensor_waits_while_another_process_writes_the_warehouse(world):
    load(world, [MONTHS[0]])
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(60)", world["warehouse"].path],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        (skip,), _ = evaluate(world)
        assert isinstance(skip, SkipReason) and "being written" in skip.skip_message
    finally:
        writer.kill()
        writer.wait()


def test_the_sensor_waits_while_a_run_is_under_way(world):
    from orchestration.definitions import defs

    instance = DagsterInstance.ephemeral()
    instance.create_run_for_job(job_def=defs.resolve_job_def("refresh_downstream"),
                                status=DagsterRunStatus.STARTED)
    (skip,), _ = evaluate(world, instance=instance)
    assert isinstance(skip, SkipReason) and "under way" in skip.skip_message


def test_the_schedule_loads_the_newest_month(world):
    context = build_schedule_context(resources={"landing": world["landing"]})
    request = monthly_refresh(context)
    assert request.partition_key == MONTHS[1]
    assert request.tags["gop/trigger"] == "schedule"


def test_a_successful_ingestion_requests_one_refresh():
    from orchestration.definitions import defs

    instance = DagsterInstance.ephemeral()
    run = instance.create_run_for_job(job_def=defs.resolve_job_def("ingest_deliveries"),
                                      status=DagsterRunStatus.SUCCESS)
    context = build_run_status_sensor_context(
        sensor_name="refresh_after_ingest", dagster_instance=instance, dagster_run=run,
        dagster_event=DagsterEvent(DagsterEventType.RUN_SUCCESS.value, run.job_name))
    request = refresh_after_ingest(context)
    assert isinstance(request, RunRequest) and request.run_key == f"after:{run.run_id}"
    # While that refresh waits in the queue, a second ingestion adds no second refresh.
    instance.create_run_for_job(job_def=defs.resolve_job_def("refresh_downstream"),
                                status=DagsterRunStatus.NOT_STARTED)
    assert isinstance(refresh_after_ingest(context), SkipReason)
