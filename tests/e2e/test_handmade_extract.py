"""An extract written by hand to the contract, not by our generator (tests/fixtures/handmade).

It has what another writer's export has and ours never does: person keys of every shape
(`p-001`, `0000000007`, `PERSON F`, a UUID, `a`), plan and contact ids with commas, slashes,
spaces and leading zeros, UTF-8 with a byte-order mark and CRLF line endings, quoted commas
and a quoted line break, a header-only file, a transfer marker and a checksum, a time of
24:00, overlapping address rows, and Parquet files (written here) with native types. It
loads with the default settings (quarantine threshold included), and its exports are the
ones worked out by hand below from the method (docs/method.md).
"""

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import gop_run_in

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "handmade" / "landing"
PERSONS = ["p-001", "0000000007", "Ærø:ÅÆØ", "a", "8d6f5c1e-0b7a-4c3e-9f21-6a1d2e3b4c5d",
           "PERSON F"]


def _parquet(landing: Path) -> None:
    """2018-04 as Parquet with native types: D's emergency-room contact (v_indtime a BIGINT),
    and C's and D's plans (a TIMESTAMP column)."""
    month = landing / "2018-04"
    duckdb.sql(f"""copy (select 'ER#3' as k_recnum, 'a' as v_cpr_encrypted, '2' as c_pattype,
        date '2018-04-01' as d_inddto, date '2018-04-01' as d_uddto, 14::bigint as v_indtime,
        '1301' as c_sgh, '011' as c_afd) to '{month}/lpr2/t_adm.parquet' (format parquet)""")
    duckdb.sql(f"""copy (select * from (values
        ('c-plan', 'Ærø:ÅÆØ', timestamp '2018-04-02 08:00:00', 'SOR-C', '101', 'ALM'),
        ('x1', 'a', timestamp '2018-04-03 10:00:00', 'SOR-D', '751', 'ALM'),
        ('x0', 'a', timestamp '2018-04-03 10:00:00', 'SOR-D', '751', 'ALM'))
        as t(brev_id, cpr_encrypted, afsendt_tidspunkt, afsender_sor, modtager_kommunekode,
             plantype)) to '{month}/gop/t_ggop.parquet' (format parquet)""")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("handmade")
    shutil.copytree(FIXTURE, root / "landing")
    (root / "landing" / "2018-04" / "gop").mkdir()
    _parquet(root / "landing")
    # The defaults a first user has.
    assert gop_run_in(root, unset=("GOP_QUARANTINE_THRESHOLD", "GOP_QUARANTINE_MIN_ROWS",
                                   "GOP_PERSON_KEY_PATTERN")) == 0
    return root


def _export(run: Path, name: str) -> list[dict[str, str]]:
    with open(run / "exports" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# plan_id, plan_type, sent_date, status, stay_type, stay_end_date, delay_days, group
PLANS = [
    # B: visit 20 March; sent "2018-03-25T24:00:00", the instant 26 March 00:00: 6 days.
    ("0042", "specialiseret", "2018-03-26", "linked", "outpatient", "2018-03-20", "6",
     "days_2_7"),
    # E: discharged 2 March, plan 30 March: 28 days, outside the window.
    ("E1", "rehab_spec", "2018-03-30", "excluded_tail", "admission", "2018-03-02", "28", ""),
    # F: K-1 08:00 to 24:00 and K-2 02:00-10:00 the next day chain (2 h apart) into a 26 h
    # admission 3-4 June; the plan is sent during it: delay -1, inside the window.
    ("F1", "almen", "2019-06-03", "linked", "admission", "2019-06-04", "-1", "timely"),
    # A: admitted 5-10 March, first plan the next day; the second, from another sender, is
    # nearest the same stay and was sent later: a supplement.
    ("GOP,1", "almen", "2018-03-11", "linked", "admission", "2018-03-10", "1", "timely"),
    ("GOP,2", "almen", "2018-03-12", "excluded_supplement", "", "", "", ""),
    # C: no stay at all.
    ("c-plan", "almen", "2018-04-02", "excluded_no_stay", "", "", "", ""),
    # D: two plans, same sender, same second: the smaller id stays; ER visit 1 April.
    ("x0", "almen", "2018-04-03", "linked", "outpatient", "2018-04-01", "2", "days_2_7"),
    ("x1", "almen", "2018-04-03", "excluded_duplicate", "", "", "", ""),
]


def test_plans_linked_is_the_one_worked_out_by_hand(run):
    rows = _export(run, "plans_linked.csv")
    assert [tuple(r.values()) for r in rows] == PLANS


# Product 2: A almen in 147 (the overlapping correction row wins on 10 March), B
# specialiseret in 461 ("zz0175y " trimmed and upper-cased), D almen in 751 (ZZ0175X1),
# E rehab_spec in 101 (its ZZ0175Q is quarantined), F almen 2019 in 101 (LPR3).
TABLE1 = {
    ("000", "almen", "2018"): "2", ("000", "specialiseret", "2018"): "1",
    ("000", "rehab_spec", "2018"): "1", ("000", "i_alt", "2018"): "4",
    ("147", "almen", "2018"): "<5", ("147", "i_alt", "2018"): "<5",
    ("461", "specialiseret", "2018"): "<5", ("461", "i_alt", "2018"): "<5",
    ("751", "almen", "2018"): "<5", ("751", "i_alt", "2018"): "<5",
    ("101", "rehab_spec", "2018"): "<5", ("101", "i_alt", "2018"): "<5",
    ("000", "almen", "2019"): "1", ("000", "i_alt", "2019"): "1",
    ("101", "almen", "2019"): "<5", ("101", "i_alt", "2019"): "<5",
}


def test_table1_has_the_cells_worked_out_by_hand_and_no_other(run):
    rows = _export(run, "table1_persons_by_municipality.csv")
    cells = {(r["area_code"], r["row_type"], r["year"]): r["value"] for r in rows}
    assert {"2018", "2019"} <= {year for _, _, year in cells}
    assert {k: v for k, v in cells.items() if v and k[2] in ("2018", "2019")} == TABLE1


def test_the_invalid_code_is_quarantined_and_the_overlap_reported(run):
    con = duckdb.connect(str(run / "w.duckdb"), read_only=True)
    try:
        quarantined = con.execute("select source_file, source_row, rule from "
                                  "marts.fct_quarantined_rows").fetchall()
        overlaps = con.execute("select address_rows, overlapping_rows, persons_with_overlaps "
                               "from marts.mart_address_overlaps").fetchone()
    finally:
        con.close()
    assert quarantined == [("2018-03/lpr2/t_sksube.csv", 4, "invalid_code")]
    assert overlaps == (6, 1, 1)


def test_no_export_holds_a_person_key(run):
    for path in (run / "exports").rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".md", ".txt"):
            text = path.read_text(encoding="utf-8")
            for key in PERSONS:
                assert f",{key}," not in text and f",{key}\n" not in text, (path, key)


def test_after_a_failing_key_rule_no_file_the_platform_wrote_holds_a_key(run, gx_dir):
    """The opt-in key shape fails on every key of the extract; the delivery is refused.
    Then every file the platform wrote (Dagster instance, GX results and Data Docs, exports,
    dbt's run folders and logs) is read: none holds a person key. The landing directory and
    the warehouse hold the data itself, by design."""
    from orchestration.core.paths import DBT_PROJECT_DIR

    code = gop_run_in(run, "--from", "2018-03", "--to", "2018-03",
                      env={"GOP_PERSON_KEY_PATTERN": "^[0-9]{20}$"})
    assert code == 1
    keys = [k.encode() for k in PERSONS if len(k) > 3]
    written = [p for root in (run, gx_dir, DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs")
               for p in root.rglob("*") if p.is_file()
               and run / "landing" not in p.parents and not p.name.startswith("w.duckdb")]
    assert any(p.suffix == ".html" for p in written)
    assert any("dagster_home" in p.parts for p in written)
    for path in written:
        data = path.read_bytes()
        assert not [k for k in keys if k in data], path
