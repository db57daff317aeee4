"""Tried in a real browser: `dagster dev` on a loopback port over the small run's
warehouse and run history, opened in headless Chromium (Debian's `chromium` and
`chromium-driver`, installed here when missing). Checks what a steward sees: the asset graph
by layer, a mart's upstream lineage and its latest check results; the same lineage through
GraphQL. Screenshots are kept under test-output/browser/ for a person to look at."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.core.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = PROJECT_ROOT / "test-output" / "browser"
MART = ["marts", "fct_plans_linked"]
# Without these, Chromium's background connections hit this machine's closed network.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic",
                  "--window-size=1600,1000")


def ensure_chromium() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    install = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=True)
        subprocess.run(install, capture_output=True, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DagsterDev:
    """`dagster dev` in its own process group; stopped with SIGINT (docs/stack.md)."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DAGSTER_HOME": str(root / "dagster_home"),
               "GOP_WAREHOUSE_PATH": str(root / "w.duckdb"),
               "GOP_LANDING_DIR": str(root / "landing"),
               "GOP_EXPORT_DIR": str(root / "exports"), "GOP_GX_DIR": str(root / "gx")}
        self.log = open(root / "dagster_dev.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1",
             "-p", str(self.port)], cwd=PROJECT_ROOT, env=env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            answer = json.load(resp)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def wait_until_loaded(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "dagster dev exited; see dagster_dev.log"
            try:
                if self.graphql("{ assetNodes { id } }")["assetNodes"]:
                    return
            except OSError:
                pass
            time.sleep(2)
        raise TimeoutError("dagster dev did not serve the definitions in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def ui(small_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    for name in ("landing", "exports", "dagster_home"):
        shutil.copytree(small_run / name, root / name)
    shutil.copy(small_run / "w.duckdb", root / "w.duckdb")
    dev = DagsterDev(root)
    try:
        dev.wait_until_loaded()
        dev.graphql("mutation { setNuxSeen }")  # the welcome pop-up would cover the page
        yield dev
    finally:
        dev.stop()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def page_text(browser, url: str, expected: list[str], shot: str, timeout: float = 60) -> str:
    """Open a page and wait until every expected text shows; keep a screenshot."""
    browser.get(url)
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = browser.find_element("tag name", "body").text
        if all(e in text for e in expected):
            break
        time.sleep(1)
    time.sleep(1)  # let the graph finish its layout before the picture
    browser.save_screenshot(str(SHOTS / shot))
    return text


def upstream(nodes: dict[tuple, dict], key: tuple) -> set[tuple]:
    seen, todo = set(), [key]
    while todo:
        for dep in nodes[todo.pop()]["dependencyKeys"]:
            dep = tuple(dep["path"])
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_graphql_lineage_runs_raw_to_marts_with_the_gates_on_their_assets(ui):
    data = ui.graphql("""{ assetNodes { assetKey { path } groupName dependencyKeys { path }
        assetChecksOrError { ... on AssetChecks { checks { name blocking
          executionForLatestMaterialization { status } } } } } }""")
    nodes = {tuple(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    lineage = upstream(nodes, tuple(MART))
    groups = {nodes[k]["groupName"] for k in lineage}
    assert {"raw", "staging", "intermediate", "reference"} <= groups
    # The linkage chain, step by step, and the raw plans at its start.
    for key in (("intermediate", "int_linkage__step5_one_plan_per_stay"),
                ("intermediate", "int_linkage__step1_one_plan_per_sender_day"),
                ("staging", "stg_gop__t_ggop"), ("gop", "t_ggop"), ("lpr2", "t_adm")):
        assert key in lineage, key
    checks = {c["name"]: c for c in nodes[tuple(MART)]["assetChecksOrError"]["checks"]}
    gate = checks["gx_marts__fct_plans_linked"]
    assert gate["blocking"]
    assert gate["executionForLatestMaterialization"]["status"] == "SUCCEEDED"
    raw_checks = {c["name"] for c in nodes[("lpr2", "t_adm")]["assetChecksOrError"]["checks"]}
    assert "gx_raw__lpr2__t_adm" in raw_checks


def test_months_backfill_from_the_ui_as_one_run(ui):
    """A range of delivery months selected in the UI launches one run (single-run policy)."""
    (node,) = ui.graphql("""{ assetNodes(assetKeys: [{path: ["lpr2", "t_adm"]}]) {
        partitionDefinition { type } backfillPolicy { policyType }
        partitionKeysByDimension { partitionKeys } } }""")["assetNodes"]
    assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
    assert node["backfillPolicy"]["policyType"] == "SINGLE_RUN"
    keys = node["partitionKeysByDimension"][0]["partitionKeys"]
    assert keys[0] == "2014-01" and "2018-03" in keys


def test_the_asset_graph_shows_every_layer(ui, browser):
    text = page_text(browser, f"{ui.url}/asset-groups",
                     ["raw", "staging", "intermediate", "marts", "exports"],
                     "01_global_lineage.png")
    for group in ("raw", "staging", "intermediate", "marts", "exports", "reference"):
        assert group in text


def test_a_mart_page_shows_its_upstream_lineage(ui, browser):
    expected = ["fct_plans_linked", "int_plans", "int_stays", "stg_gop__t_ggop", "t_ggop"]
    text = page_text(browser, f"{ui.url}/assets/{'/'.join(MART)}?view=lineage"
                     "&lineageScope=upstream&lineageDepth=5", expected,
                     "02_fct_plans_linked_lineage.png")
    assert all(e in text for e in expected), text[:2000]
    for group in ("raw", "staging", "intermediate"):
        assert group in text


def test_a_mart_page_shows_its_latest_check_results(ui, browser):
    # ... and what the check holds: its rules with their sources (docs/quality-gates.md,
    # "dbt tests"), and dbt tests under a readable name
    expected = ["gx_marts__fct_plans_linked", "Succeeded", "Rules:",
                "negative delays only for admissions (source: docs/method.md Product 1)",
                "plans_linked_s"]
    text = page_text(browser, f"{ui.url}/assets/{'/'.join(MART)}?view=checks", expected,
                     "03_fct_plans_linked_checks.png")
    assert all(e in text for e in expected), text[:2000]
    assert "Failed" not in text
