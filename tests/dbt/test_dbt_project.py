"""dbt: the YAML unit tests (hand-made cases per linkage step) and every model's data tests
run in a real `dbt build` on an empty warehouse; each failure is reported by name."""

import json
import os
import subprocess

import duckdb
import pytest

from orchestration.core.ingest import ensure_raw_schema
from orchestration.core.paths import DBT_PROJECT_DIR
from tests.conftest import dbt_bin

pytestmark = pytest.mark.dbt

# Every model of the linkage chain and of the published table has hand-made unit tests.
MODELS_WITH_UNIT_TESTS = {
    "int_stays__lpr2", "int_stays__lpr3_chained", "int_plans",
    "int_linkage__step1_one_plan_per_sender_day", "int_linkage__step2_plan_stay_pairs",
    "int_linkage__step3_pairs_not_before_stay", "int_linkage__step4_nearest_stay",
    "int_linkage__step5_one_plan_per_stay", "int_linkage__timeliness_window",
    "fct_plans_linked",
    # product 2
    "int_registrations__plan_codes", "int_registrations__qualifying_starts",
    "int_registrations__typed", "int_registrations__resident",
    "int_registrations__fourteen_day_rule", "int_table1__true_counts", "mart_table1_published",
    # overlapping address rows (the extract contract, cpr/t_adresse)
    "int_residence__addresses", "mart_address_overlaps",
}


@pytest.fixture(scope="module")
def build_results(tmp_path_factory) -> list[dict]:
    root = tmp_path_factory.mktemp("dbt")
    warehouse = root / "empty.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_raw_schema(con)  # unit tests read column types from the real source relations
    con.close()
    env = {**os.environ, "GOP_WAREHOUSE_PATH": str(warehouse)}
    proc = subprocess.run(
        [dbt_bin(), "build", "--profiles-dir", ".", "--target-path", str(root / "target")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    if proc.returncode != 0 and not any(r["status"] in ("fail", "error") for r in results):
        pytest.fail(proc.stdout[-3000:])
    return results


def test_every_unit_test_passes(build_results):
    unit = [r for r in build_results if r["unique_id"].startswith("unit_test.")]
    failed = [r["unique_id"].split(".")[-1] + ": " + (r.get("message") or "")
              for r in unit if r["status"] != "pass"]
    assert not failed, "\n".join(failed)
    tested = {r["unique_id"].split(".")[-2] for r in unit}
    assert tested >= MODELS_WITH_UNIT_TESTS, MODELS_WITH_UNIT_TESTS - tested


def test_every_model_and_data_test_passes(build_results):
    bad = [f"{r['unique_id']}: {r['status']} {r.get('message') or ''}"
           for r in build_results
           if not r["unique_id"].startswith("unit_test.")
           and r["status"] not in ("pass", "success")]
    assert not bad, "\n".join(bad)
