"""The refresh plan (orchestration/core/refresh.py): when a refresh is full or incremental, and
what dbt is told of it."""

import json

import duckdb
import pytest

from orchestration.core import refresh
from orchestration.core.ingest import CHANGED_MONTHS_TABLE, ensure_raw_schema
from orchestration.core.paths import DBT_PROJECT_DIR

pytestmark = pytest.mark.unit


@pytest.fixture
def con():
    con = duckdb.connect()
    ensure_raw_schema(con)
    yield con
    con.close()


def change(con, change_id: int, month: str, table: str = "lpr2__t_adm",
           replaced: bool = False) -> None:
    con.execute(f"INSERT INTO {CHANGED_MONTHS_TABLE} (change_id, table_key, delivery_month, "
                "replaced) VALUES (?, ?, ?, ?)", [change_id, table, month, replaced])


def test_the_first_refresh_is_full_and_later_ones_incremental(con):
    change(con, 1, "2019-01")
    first = refresh.plan_refresh(con, "logic-a")
    assert (first.full, first.change_id) == (True, 1)
    refresh.record_refresh(con, first, "logic-a")

    change(con, 2, "2019-02")
    change(con, 2, "2019-03")
    later = refresh.plan_refresh(con, "logic-a")
    assert (later.full, later.change_id, later.months) == (False, 2, ("2019-02", "2019-03"))


def test_other_logic_or_the_tag_makes_a_refresh_full(con):
    change(con, 1, "2019-01")
    refresh.record_refresh(con, refresh.plan_refresh(con, "logic-a"), "logic-a")
    change(con, 2, "2019-02")
    assert refresh.plan_refresh(con, "logic-b").full
    assert refresh.plan_refresh(con, "logic-a", forced=True).full
    assert refresh.forced_by({refresh.FULL_REFRESH_TAG: "True"})
    assert not refresh.forced_by({})


def test_a_recorded_refresh_drops_the_changes_it_covered_only(con):
    change(con, 1, "2019-01")
    plan = refresh.plan_refresh(con, "logic-a")
    change(con, 2, "2019-02")  # loaded while that refresh ran
    refresh.record_refresh(con, plan, "logic-a")
    assert con.execute(f"SELECT change_id FROM {CHANGED_MONTHS_TABLE}").fetchall() == [(2,)]
    assert refresh.plan_refresh(con, "logic-a").months == ("2019-02",)


def test_an_incremental_build_leaves_out_the_unit_tests_only():
    full = refresh.RefreshPlan(True, "", 1)
    assert refresh.dbt_build_args(full) == ["build", "--full-refresh"]
    args = refresh.dbt_build_args(refresh.RefreshPlan(False, "", 2, ("2019-02",)))
    assert args[:3] == ["build", "--vars",
                        '{"gop_incremental": true, "gop_pending_months": ["2019-02"], '
                        '"gop_parents_replaced": false}']
    assert args[3:] == ["--exclude", "resource_type:unit_test"]


def test_a_replaced_month_of_a_parent_table_is_told_to_dbt(con):
    """A re-delivered t_adm month can leave t_bes rows of other months without their parent:
    dbt is told, and judges the quarantine again whole. A new month, or a replaced month of a
    table nothing points at, is not such a change."""
    change(con, 1, "2019-01")
    refresh.record_refresh(con, refresh.plan_refresh(con, "logic-a"), "logic-a")
    change(con, 2, "2019-02")
    change(con, 2, "2019-01", table="lpr2__t_bes", replaced=True)
    assert not refresh.plan_refresh(con, "logic-a").parents_replaced
    change(con, 3, "2019-01", replaced=True)
    plan = refresh.plan_refresh(con, "logic-a")
    assert plan.parents_replaced
    assert '"gop_parents_replaced": true' in refresh.dbt_build_args(plan)[2]


def test_dbt_is_told_the_resources_warehouse_as_vars_not_through_the_environment():
    connection = refresh.dbt_connection_vars("/w/x.duckdb", {"memory_limit": "2GB",
                                                             "temp_directory": "/w/x.tmp",
                                                             "threads": "2"})
    assert connection == {"gop_warehouse_path": "/w/x.duckdb", "gop_duckdb_memory_limit": "2GB",
                          "gop_duckdb_temp_directory": "/w/x.tmp"}
    full = refresh.dbt_build_args(refresh.RefreshPlan(True, "", 1), connection)
    assert full[:2] == ["build", "--full-refresh"] and json.loads(full[3]) == connection
    incremental = refresh.dbt_build_args(refresh.RefreshPlan(False, "", 2, ("2019-02",)),
                                         connection)
    told = json.loads(incremental[2])
    assert told["gop_warehouse_path"] == "/w/x.duckdb" and told["gop_incremental"] is True
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    assert all(f"var('{name}'" in profile for name in connection)
