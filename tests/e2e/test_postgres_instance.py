"""The Dagster instance on PostgreSQL, tried for real (docs/operations.md, "Deploying").

A throwaway PostgreSQL cluster (Debian's `postgresql`, installed here when missing): initdb
and pg_ctl as an unprivileged user, password authentication, a free loopback port, removed
afterwards. The instance is configured by the deployment's own `deploy/dagster.yaml` and its
environment variables. On it: `gop run`, the arrival sensor, and `make serve` (the daemon and
the webserver); then the runs, materialisations, check results and daemon heartbeats are read
back, from Dagster and from PostgreSQL itself.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    build_sensor_context,
)

from orchestration.core.paths import PROJECT_ROOT
from synthetic.writer import write_extract
from tests.conftest import gop_run_in

pytestmark = pytest.mark.e2e

MONTHS = ("2019-01", "2019-03")  # the run loads the first two; the sensor finds the third
PG_SYSTEM_USER = "postgres"  # the Debian package's user, when the tests run as root


def postgres_bin() -> Path:
    """PostgreSQL's server programs, installed from Debian's packages when missing."""
    def found() -> list[Path]:
        return sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))

    if not found():
        install = ["apt-get", "install", "-y", "-q", "postgresql"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=True)
            subprocess.run(install, capture_output=True, check=True)
    return found()[-1].parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder, on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        # Not under pytest's temporary folder: its parents are private to root, and the
        # server runs as an unprivileged user.
        self.root = Path(tempfile.mkdtemp(prefix="gop-pg-"))
        self.data, self.port = self.root / "data", free_port()
        self.user, self.password, self.db = "gop", secrets.token_hex(16), "dagster"
        (self.root / "pw").write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(self.root, PG_SYSTEM_USER)
            shutil.chown(self.root / "pw", PG_SYSTEM_USER)
        self._as_owner([str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                        "--auth=scram-sha-256", f"--pwfile={self.root / 'pw'}", "-E", "UTF8"])
        self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.root / "server.log"), "-w", "-t", "60", "-o",
                        f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}", "start"])
        self.psql("create database dagster", db="postgres")

    def _as_owner(self, command: list[str]) -> None:
        if os.geteuid() == 0:
            command = ["runuser", "-u", PG_SYSTEM_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        assert done.returncode == 0, done.stdout + done.stderr

    @property
    def env(self) -> dict[str, str]:
        """What deploy/gop.env.example sets for the instance."""
        return {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_USER": self.user, "DAGSTER_PG_PASSWORD": self.password,
                "DAGSTER_PG_DB": self.db}

    def psql(self, sql: str, db: str | None = None) -> str:
        done = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d",
             db or self.db, "-At", "-c", sql], capture_output=True, text=True,
            env={**os.environ, "PGPASSWORD": self.password}, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self) -> None:
        try:
            self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                            "-w", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    """The cluster, an instance on it configured by deploy/dagster.yaml, and one `gop run`."""
    cluster = Cluster()
    mp = pytest.MonkeyPatch()
    try:
        for var, value in cluster.env.items():
            mp.setenv(var, value)
        root = tmp_path_factory.mktemp("pg_run")
        write_extract(root / "landing", scale=0.002, seed=3, first_month=MONTHS[0],
                      last_month=MONTHS[1])
        (root / "dagster_home").mkdir()
        shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", root / "dagster_home")
        # Loaded and gated only: the runs, materialisations, observations and check results
        # of a refresh go through the same storage, and would add a minute of dbt here.
        assert gop_run_in(root, "--to", "2019-02", "--no-refresh") == 0
        yield cluster, root
    finally:
        mp.undo()
        cluster.stop()


def _instance(root: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(root / "dagster_home"))


def test_the_runs_materialisations_and_checks_are_in_postgresql(pg):
    cluster, root = pg
    instance = _instance(root)
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    (run,) = instance.get_runs()
    assert (run.job_name, run.status) == ("ingest_deliveries", DagsterRunStatus.SUCCESS)
    assert set(instance.get_materialized_partitions(AssetKey(["lpr2", "t_adm"]))) == {
        "2019-01", "2019-02"}
    kontakter = instance.fetch_materializations(AssetKey(["lpr3", "kontakter"]), limit=5)
    assert kontakter.records and kontakter.records[0].asset_materialization is not None
    check = AssetCheckKey(AssetKey(["gop", "t_ggop"]), "gx_raw__gop__t_ggop")
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key([check])
    assert latest[check].status.value == "SUCCEEDED"
    log = instance.fetch_observations(AssetKey(["platform", "deliveries"]), limit=10).records
    assert sorted(r.asset_observation.metadata["delivery_month"].value for r in log) == [
        "2019-01", "2019-02"]
    # ... and from PostgreSQL itself, not a file beside it
    assert int(cluster.psql("select count(*) from runs")) == 1
    assert int(cluster.psql("select count(*) from event_logs where dagster_event_type = "
                            "'ASSET_CHECK_EVALUATION'")) >= 9
    assert not list((root / "dagster_home").glob("**/*.db"))


def test_the_arrival_sensor_evaluates_on_the_postgresql_instance(pg):
    from orchestration.defs.ingestion.automation import new_deliveries
    from orchestration.defs.ingestion.partitions import RANGE_END, RANGE_START
    from orchestration.defs.resources import Landing, Warehouse

    _, root = pg
    context = build_sensor_context(
        instance=_instance(root), resources={"landing": Landing(path=str(root / "landing")),
                                             "warehouse": Warehouse(path=str(root / "w.duckdb"))})
    result = new_deliveries(context)
    (request,) = result if isinstance(result, list) else [result]
    assert isinstance(request, RunRequest)
    assert request.partition_key == "2019-03"  # one month: a partition, not a range
    assert RANGE_START not in request.tags and RANGE_END not in request.tags


def test_make_serve_starts_the_daemon_and_the_webserver_on_the_shared_instance(pg):
    cluster, root = pg
    port = free_port()
    env = {**os.environ, **cluster.env, "DAGSTER_HOME": str(root / "dagster_home"),
           "GOP_UI_PORT": str(port), "GOP_LANDING_DIR": str(root / "landing"),
           "GOP_WAREHOUSE_PATH": str(root / "w.duckdb"), "GOP_EXPORT_DIR": str(root / "exports")}
    log = open(root / "serve.log", "w")  # noqa: SIM115 (closed below)
    serve = subprocess.Popen(["make", "--no-print-directory", "serve"], cwd=PROJECT_ROOT,
                             env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    instance = _instance(root)
    try:
        deadline, daemons, answered = time.monotonic() + 240, set(), None
        while time.monotonic() < deadline and not (answered and len(daemons) >= 3):
            assert serve.poll() is None, (root / "serve.log").read_text()[-3000:]
            daemons = {d for d, beat in instance.get_daemon_heartbeats().items()
                       if beat and time.time() - beat.timestamp < 120}
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info",
                                            timeout=5) as resp:
                    answered = resp.status == 200
            except OSError:
                answered = None
            time.sleep(2)
        assert answered, (root / "serve.log").read_text()[-3000:]
        assert {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= daemons, daemons
        assert int(cluster.psql("select count(*) from daemon_heartbeats")) >= 3
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.close()
