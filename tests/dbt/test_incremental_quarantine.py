"""dbt: the quarantine's pre-hooks on an incremental refresh (macros/incremental_quarantine.sql),
which a YAML unit test cannot run. An orphan visit of 2019-01 gets its contact with a new
month and leaves the quarantine; a re-delivery of that month without the contact puts it
back; each time the table equals a full rebuild of the same raw rows."""

import json
import os
import subprocess

import duckdb
import pytest

from orchestration.core.ingest import ensure_raw_schema
from orchestration.core.paths import DBT_PROJECT_DIR
from tests.conftest import dbt_bin

pytestmark = pytest.mark.dbt

MODELS = "stg_lpr2__t_adm stg_lpr2__t_bes fct_quarantined_rows"


def add_contact(con, month: str, key: str, row: int) -> None:
    con.execute("insert into raw.lpr2__t_adm (k_recnum, v_cpr_encrypted, c_pattype, d_inddto, "
                "d_uddto, _delivery_month, _source_file, _source_row) values "
                "(?, 'p1', '1', date '2019-01-05', date '2019-01-05', ?, ?, ?)",
                [key, month, f"{month}/lpr2/t_adm.csv", row])


def add_visit(con, month: str, contact: str, row: int) -> None:
    con.execute("insert into raw.lpr2__t_bes (v_recnum, d_ambdto, _delivery_month, "
                "_source_file, _source_row) values (?, date '2019-01-05', ?, ?, ?)",
                [contact, month, f"{month}/lpr2/t_bes.csv", row])


def orphans(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select source_file, source_row from marts.fct_quarantined_rows "
                           "where rule = 'orphan_key' order by all").fetchall()


def test_orphans_follow_their_parents_on_an_incremental_refresh(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
        add_contact(con, "2019-01", "C1", 1)
        add_visit(con, "2019-01", "C1", 1)
        add_visit(con, "2019-01", "C2", 2)  # C2 is in no month yet: an orphan
    env = {**os.environ, "GOP_WAREHOUSE_PATH": str(warehouse)}

    def dbt(*args: str) -> None:
        proc = subprocess.run([dbt_bin(), *args, "--profiles-dir", ".", "--target-path",
                               str(tmp_path / "target")], cwd=DBT_PROJECT_DIR, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:]

    def incremental(months: list[str], parents_replaced: bool) -> None:
        dbt("run", "--select", MODELS, "--vars", json.dumps({
            "gop_incremental": True, "gop_pending_months": months,
            "gop_parents_replaced": parents_replaced}))

    dbt("build", "--full-refresh", "--select", "+fct_quarantined_rows", "--exclude",
        "resource_type:test", "resource_type:unit_test")
    assert orphans(warehouse) == [("2019-01/lpr2/t_bes.csv", 2)]

    with duckdb.connect(str(warehouse)) as con:
        add_contact(con, "2019-02", "C2", 1)  # the new month brings the parent
    incremental(["2019-02"], parents_replaced=False)
    assert orphans(warehouse) == []

    with duckdb.connect(str(warehouse)) as con:  # 2019-02 again, without the contact
        con.execute("delete from raw.lpr2__t_adm where _delivery_month = '2019-02'")
    incremental(["2019-02"], parents_replaced=True)
    assert orphans(warehouse) == [("2019-01/lpr2/t_bes.csv", 2)]

    dbt("run", "--select", MODELS, "--full-refresh")
    assert orphans(warehouse) == [("2019-01/lpr2/t_bes.csv", 2)]
