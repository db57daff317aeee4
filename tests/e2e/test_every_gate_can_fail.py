"""Every GX suite can fail: for each one, the table it judges is broken in the way the suite
guards against, inside a transaction that is rolled back, and the suite must fail.

The warehouse is a copy of the session's end-to-end run (D-GOP and G-GOP, LPR2 and LPR3),
so every table holds rows. A suite with a grain fails when one of its rows comes twice;
the others are broken by the mutation written for them below, in SQL.
"""

import shutil

import duckdb
import pytest

from orchestration.core import quality

pytestmark = pytest.mark.e2e

FUTURE = "date '2099-06-15'"


def _one_row(table: str, assignment: str) -> str:
    """An update of one row of a raw table (the first by rowid)."""
    return (f"update raw.{table} set {assignment} "
            f"where rowid = (select min(rowid) from raw.{table})")


# How each suite without a grain (the raw suites, the year-on-year warning), or over a view,
# is broken: a person key missing, a date after today (a delivery folder named in the
# future), a raw row twice.
MUTATIONS = {
    "raw.cpr__t_adresse": _one_row("cpr__t_adresse", "cpr_encrypted = null"),
    "raw.gop__t_dgop": _one_row("gop__t_dgop", "v_cpr_encrypted = null"),
    "raw.gop__t_ggop": _one_row("gop__t_ggop",
                                "afsendt_tidspunkt = timestamp '2099-06-15 10:00:00'"),
    "raw.lpr2__t_adm": _one_row("lpr2__t_adm", "v_cpr_encrypted = null"),
    "raw.lpr2__t_bes": _one_row("lpr2__t_bes", f"d_ambdto = {FUTURE}"),
    "raw.lpr2__t_sksube": _one_row("lpr2__t_sksube", f"d_odto = {FUTURE}"),
    "raw.lpr3__forloeb": _one_row("lpr3__forloeb", "cpr_encrypted = null"),
    "raw.lpr3__forloebsmarkoerer": _one_row("lpr3__forloebsmarkoerer",
                                            f"dato_markoer = {FUTURE}"),
    "raw.lpr3__kontakter": _one_row("lpr3__kontakter", "cpr_encrypted = null"),
    "raw.lpr3__procedurer_andre": _one_row("lpr3__procedurer_andre", f"dato_start = {FUTURE}"),
    # A view: its raw row comes twice.
    "staging.stg_cpr__t_adresse": "insert into raw.cpr__t_adresse select * from "
                                  "raw.cpr__t_adresse limit 1",
    # A municipality's count of a type that trebles from one year to the next.
    "marts.mart_table1_published__year_on_year": (
        "update intermediate.int_table1__true_counts set true_count = true_count * 3 + 20 "
        "where area_code <> '000' and row_type <> 'i_alt' and year = (select max(year) from "
        "intermediate.int_table1__true_counts)"),
}


# A warning may fire on a good run: the end-to-end extract holds parts of years, whose
# counts change a lot. Its table is first made one where nothing changes.
STEADY = {
    "marts.mart_table1_published__year_on_year":
        "update intermediate.int_table1__true_counts set true_count = 100",
}


def _relation(spec: quality.SuiteSpec) -> str:
    """The table a suite guards: raw.<register>__<table>, or <layer>.<model>."""
    if spec.layer == "raw":
        return f"raw.{spec.table}"
    return ".".join(spec.asset_key)


def _has_grain(spec: quality.SuiteSpec) -> bool:
    return any(e["kwargs"].get("column", "").startswith("_rows_per_key")
               for e in spec.expectations)


SUITES = quality.load_suites()


@pytest.fixture(scope="module")
def warehouse(e2e_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("gates") / "w.duckdb"
    shutil.copy(e2e_run / "w.duckdb", path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def _break(con, spec: quality.SuiteSpec) -> None:
    if spec.name in MUTATIONS:
        con.execute(MUTATIONS[spec.name])
        return
    relation = _relation(spec)
    assert con.execute(f"select count(*) from {relation}").fetchone()[0] > 0, relation
    con.execute(f"insert into {relation} select * from {relation} limit 1")


@pytest.mark.parametrize("spec", SUITES, ids=[s.name for s in SUITES])
def test_the_suite_passes_on_a_good_run_and_fails_on_what_it_guards(warehouse, spec):
    warehouse.execute("begin transaction")
    try:
        if spec.name in STEADY:
            warehouse.execute(STEADY[spec.name])
        good = quality.validate(warehouse, spec)
        _break(warehouse, spec)
        broken = quality.validate(warehouse, spec)
    finally:
        warehouse.execute("rollback")
    assert good.success, f"{spec.name} fails on the good run"
    assert not broken.success, f"{spec.name} passed on a broken table"


def test_every_suite_is_broken_by_its_grain_or_a_mutation_written_for_it():
    """A suite without a grain and without a mutation would only be 'broken' by a duplicate
    row it does not judge."""
    uncovered = [s.name for s in SUITES if s.name not in MUTATIONS and not _has_grain(s)]
    assert uncovered == [] and set(MUTATIONS) <= {s.name for s in SUITES}


# The disclosure rules have one home, the gate of the published table (docs/quality-gates.md):
# each of its rules fails on its own when one municipal cell breaks it.
TABLE1 = next(s for s in SUITES if s.name == "marts.mart_table1_published")
DISCLOSURE_BREAKS = {
    "no published municipal value is 1-4": ("almen", "'3'"),
    "municipal I alt is empty, <5 or a multiple of 5": ("i_alt", "'7'"),
    "national >= any municipal cell": ("almen", "'99999995'"),
    "counts are non-negative integers, empty or <5": ("almen", "'-5'"),
}


@pytest.mark.parametrize("rule", DISCLOSURE_BREAKS)
def test_each_disclosure_rule_of_the_published_table_can_fail(warehouse, rule):
    row_type, value = DISCLOSURE_BREAKS[rule]
    warehouse.execute("begin transaction")
    try:
        warehouse.execute(
            f"update marts.mart_table1_published set value = {value} where rowid = ("
            f"select min(rowid) from marts.mart_table1_published "
            f"where area_code <> '000' and row_type = '{row_type}')")
        outcome = quality.validate(warehouse, TABLE1)
    finally:
        warehouse.execute("rollback")
    assert {o.rule for o in outcome.failed} == {rule}
