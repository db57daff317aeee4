"""The suite layer (orchestration/core/quality.py): keys judged over the whole relation, row
conditions, and no key or person value in a result."""

import duckdb
import pytest

from orchestration.core import quality
from orchestration.core.settings import GateSettings

pytestmark = pytest.mark.unit


def _suite(tmp_path, text: str) -> quality.SuiteSpec:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "t.yml").write_text(text, encoding="utf-8")
    (spec,) = quality.load_suites(tmp_path)
    return spec


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("create schema marts")
    yield con
    con.close()


GRAIN = """
asset: [marts, t]
source: a test
grain: [person_key, day]
unique: [[plan_id]]
expectations:
  - type: expect_column_values_to_be_in_set
    kwargs: {column: kind, value_set: [a, b]}
    meta: {rule: two kinds}
"""


def _table(con, rows):
    con.execute("create or replace table marts.t (person_key varchar, day integer, "
                "plan_id varchar, kind varchar)")
    con.executemany("insert into marts.t values (?, ?, ?, ?)", rows)


def test_a_duplicate_key_far_apart_fails_the_grain(tmp_path, con):
    spec = _suite(tmp_path, GRAIN)
    # rows 1 and 4 share (person_key, day): judged over the whole relation
    _table(con, [("P1", 1, "x1", "a"), ("P2", 1, "x2", "a"), ("P3", 1, "x3", "b"),
                 ("P1", 1, "x4", "b")])
    out = quality.validate(con, spec)
    assert not out.success
    (failed,) = out.failed
    assert failed.rule == "one row per (person_key, day): the grain"
    assert failed.unexpected_count == 2
    assert not any("P1" in s for o in out.outcomes for s in o.sample)


def test_a_second_unique_key_and_null_keys_are_checked(tmp_path, con):
    spec = _suite(tmp_path, GRAIN)
    _table(con, [("P1", 1, "x1", "a"), ("P2", 1, "x1", "a"), ("P3", None, "x3", "b")])
    rules = {o.rule: o.unexpected_count for o in quality.validate(con, spec).failed}
    assert rules == {"one row per (plan_id): a unique key": 2,
                     "(person_key, day) never null: the grain": 1}


def test_a_clean_table_passes_and_only_named_columns_are_read(tmp_path, con):
    spec = _suite(tmp_path, GRAIN)
    assert "select person_key, day, plan_id, kind from marts.t" in spec.query
    _table(con, [("P1", 1, "x1", "a"), ("P1", 2, "x2", "b")])
    out = quality.validate(con, spec)
    assert out.success and out.rows == 2


def test_negative_delays_only_for_admissions_by_row_condition(tmp_path, con):
    spec = _suite(tmp_path, """
asset: [marts, t]
source: a test
expectations:
  - type: expect_column_values_to_be_in_set
    kwargs:
      column: stay_type
      value_set: [admission]
      row_condition: {type: comparison, column: {name: delay_days}, operator: "<", parameter: 0}
    meta: {rule: negative delays only for admissions}
""")
    con.execute("create table marts.t as select * from (values ('admission', -3), "
                "('outpatient', 0), ('outpatient', 5)) v(stay_type, delay_days)")
    assert quality.validate(con, spec).success
    con.execute("insert into marts.t values ('outpatient', -1)")
    (failed,) = quality.validate(con, spec).failed
    assert failed.unexpected_count == 1 and failed.sample == ["outpatient"]


def _real_suite(name: str) -> quality.SuiteSpec:
    (spec,) = [s for s in quality.load_suites() if s.name == name]
    return spec


def test_the_delay_chart_mart_keeps_negative_delays_for_admissions(con):
    con.execute("""create table marts.mart_delay_distribution as select * from (values
        (2020, 'almen', 'admission', -2, 3, 3), (2020, 'almen', 'outpatient', 0, 4, 4),
        (2020, 'almen', 'outpatient', -1, 1, 1), (2020, 'almen', 'admission', 90, 2, 0))
        t(analysis_year, plan_type, stay_type, delay_days, plan_count, inside_window_count)""")
    outcome = quality.validate(con, _real_suite("marts.mart_delay_distribution"))
    assert {o.rule: o.unexpected_count for o in outcome.failed} == {
        "negative delays only for admissions": 1}


def test_the_timeliness_chart_mart_adds_up_to_the_nation(con):
    # The nation counts 5 plans; the regions 5; the municipalities only 4.
    con.execute("""create table marts.mart_timeliness_groups as select * from (values
        (2020, 'almen', 'national', '000', '0-3', 5), (2020, 'almen', 'region', '1084', '0-3', 5),
        (2020, 'almen', 'municipality', '101', '0-3', 3),
        (2020, 'almen', 'municipality', 'unknown', '0-3', 1))
        t(analysis_year, plan_type, area_level, area_code, timeliness_group, plan_count)""")
    outcome = quality.validate(con, _real_suite("marts.mart_timeliness_groups"))
    failed = {o.rule: o.unexpected_count for o in outcome.failed}
    assert list(failed.values()) == [2] and "add up to the nation" in next(iter(failed))


def test_one_publish_renders_every_page_of_the_validations_before_it(tmp_path, con):
    from urllib.parse import unquote

    spec = _suite(tmp_path, GRAIN)
    _table(con, [("p1", 1, "a", "a"), ("p2", 1, "b", "b"), ("p3", 2, "c", "a")])
    validator = quality.Validator(tmp_path / "gx")
    first, second = validator.validate(con, spec), validator.validate(con, spec)
    assert first.docs_url is None  # not yet published
    validator.publish()
    site = tmp_path / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = sorted(site.glob("validations/**/*.html"))
    assert len(pages) == 2 and (site / "index.html").exists()
    for outcome in (first, second):
        assert (site / unquote(outcome.docs_url.split("3001/", 1)[1])).exists()
    assert first.docs_url != second.docs_url


# --- person keys are opaque, and no GX file ever holds one ------------------------------------
def _raw_suite(name: str, gates: GateSettings = quality.DEFAULT_GATES) -> quality.SuiteSpec:
    (spec,) = [s for s in quality.load_suites(gates=gates) if s.name == f"raw.{name}"]
    return spec


def _shape_rules(spec: quality.SuiteSpec) -> list[str]:
    return [e["meta"]["rule"] for e in spec.expectations
            if "GOP_PERSON_KEY_PATTERN" in e["meta"].get("rule", "")]


def test_keys_are_opaque_by_default_and_a_shape_is_opt_in():
    assert _shape_rules(_raw_suite("lpr2__t_adm")) == []
    shaped = GateSettings(person_key_pattern="^[0-9A-F]{16}$")
    assert len(_shape_rules(_raw_suite("lpr2__t_adm", shaped))) == 1


KEYS = ["secret-person-0001", "SECRET-PERSON-0002", "Zz9-secret-0003"]


def test_a_failing_key_rule_leaves_no_key_in_any_file_gx_writes(tmp_path):
    """GX keeps a sample of unexpected values per expectation in its results and Data Docs;
    the rule on a person key is judged in DuckDB, so only true/false reaches GX."""
    spec = _raw_suite("gop__t_ggop", GateSettings(person_key_pattern="^[0-9]+$"))  # none match
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("""create table raw.gop__t_ggop as select 'b' || i as brev_id,
        ['secret-person-0001', 'SECRET-PERSON-0002', 'Zz9-secret-0003'][i % 3 + 1]
            as cpr_encrypted,
        timestamp '2019-01-02 10:00' as afsendt_tidspunkt, 'SOR1' as afsender_sor,
        '101' as modtager_kommunekode, 'ALM' as plantype, '2019-01' as _delivery_month,
        '2019-01/gop/t_ggop.csv' as _source_file, i as _source_row,
        timestamp '2019-02-01' as _loaded_at from range(1, 31) t(i)""")
    validator = quality.Validator(tmp_path / "gx")
    out = validator.validate(con, spec)
    validator.publish()
    assert not out.success
    (failed,) = out.failed
    assert "GOP_PERSON_KEY_PATTERN" in failed.rule and failed.unexpected_count == 30
    assert failed.locations[0] == "2019-01/gop/t_ggop.csv row 1"
    written = [p for p in (tmp_path / "gx").rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".json"
                                                             for p in written)
    for path in written:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert not any(k in text or k.lower() in text.lower() for k in KEYS), path


def test_an_expectation_a_sensitive_column_cannot_be_judged_on_is_refused(tmp_path):
    with pytest.raises(ValueError, match="sensitive column person_key"):
        _suite(tmp_path, """
asset: [marts, t]
source: a test
expectations:
  - type: expect_column_value_lengths_to_equal
    kwargs: {column: person_key, value: 16}
""")


def test_an_expectation_duckdb_cannot_judge_is_refused_when_the_suites_load(tmp_path):
    with pytest.raises(ValueError, match="expect_column_mean_to_be_between has no DuckDB"):
        _suite(tmp_path, """
asset: [marts, t]
source: a test
expectations:
  - type: expect_column_mean_to_be_between
    kwargs: {column: day, min_value: 1}
""")


# --- times of 24:00, and tiny deliveries --------------------------------------------
def test_a_time_of_24_00_is_validated_without_error(tmp_path, con):
    spec = _suite(tmp_path, """
asset: [marts, t]
source: a test
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: sent_time}
""")
    con.execute("create table marts.t as select time '24:00:00' as sent_time")
    assert quality.validate(con, spec).success


ROW_RULE = """
asset: [marts, t]
source: a test
expectations:
  - type: expect_column_values_to_be_in_set
    kwargs: {column: kind, value_set: [a], mostly: 0.999}
"""


@pytest.mark.parametrize(("rows", "bad", "passes"), [
    (20, 3, True),  # 15 % of a tiny delivery: within the floor of 10 rows, quarantined
    (20, 11, False),  # beyond the floor
    (100_000, 90, True),  # 0.09 %: within the share
    (100_000, 200, False),  # 0.2 %: beyond both
])
def test_the_quarantine_threshold_has_a_floor_of_rows_for_tiny_deliveries(
        tmp_path, con, rows, bad, passes):
    spec = _suite(tmp_path, ROW_RULE)
    con.execute(f"create table marts.t as select case when i < {bad} then 'x' else 'a' end "
                f"as kind from range({rows}) t(i)")
    out = quality.validate(con, spec)
    assert out.success is passes
    assert bool(out.quarantined) is passes


def test_an_incremental_scope_judges_the_months_loaded_since_and_can_fail(tmp_path, con):
    """`incremental_by: delivery_month` (docs/incremental-refresh.md): on an incremental
    refresh only the plan's months are judged, on a full one every row."""
    spec = _suite(tmp_path, """
asset: [marts, t]
source: a test
incremental_by: delivery_month
expectations:
  - type: expect_column_values_to_be_in_set
    kwargs: {column: kind, value_set: [a]}
    meta: {rule: only kind a}
""")
    con.execute("create table marts.t as select * from (values ('2019-01', 'b'), "
                "('2019-02', 'a'), ('2019-03', 'b')) as v(delivery_month, kind)")
    validator = quality.Validator()
    assert validator.validate(con, spec, incremental=True, months=("2019-02",)).success
    scoped = validator.validate(con, spec, incremental=True, months=("2019-03",))
    assert not scoped.success and scoped.rows == 1
    full = validator.validate(con, spec)
    assert [o.unexpected_count for o in full.failed] == [2] and full.rows == 3


def test_an_unknown_incremental_scope_is_refused_when_the_suites_load(tmp_path):
    with pytest.raises(ValueError, match="incremental_by 'plan_id'"):
        _suite(tmp_path, """
asset: [marts, t]
source: a test
incremental_by: plan_id
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: plan_id}
""")


def test_a_linkage_scope_judges_from_the_relinked_moment_and_can_fail(tmp_path, con):
    """`incremental_by: stay_end_date`: on an incremental refresh the rows of stays ending on
    or after int_linkage__relinked_from.stays_from are judged, the others were judged when
    they were built."""
    spec = _suite(tmp_path, """
asset: [marts, t]
source: a test
incremental_by: stay_end_date
expectations:
  - type: expect_column_values_to_be_in_set
    kwargs: {column: kind, value_set: [a]}
    meta: {rule: only kind a}
""")
    con.execute("create schema if not exists intermediate")
    con.execute("create table intermediate.int_linkage__relinked_from as select "
                "date '2020-01-01' as plans_from, date '2019-01-01' as stays_from")
    con.execute("create table marts.t as select * from (values (date '2018-12-31', 'b'), "
                "(date '2019-01-01', 'a')) as v(stay_end_date, kind)")
    validator = quality.Validator()
    assert validator.validate(con, spec, incremental=True).success
    con.execute("update intermediate.int_linkage__relinked_from "
                "set stays_from = date '2018-12-31'")
    assert not validator.validate(con, spec, incremental=True).success
    assert not validator.validate(con, spec).success


def test_a_rule_cut_by_an_unquoted_comma_is_refused_when_the_suites_load(tmp_path):
    """An unquoted comma in a YAML flow mapping splits a rule into a cut rule and a key of
    no value (it happened twice): the alert would name half the rule."""
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "t.yml").write_text(
        "asset: [raw, t]\nsource: a test\nexpectations:\n"
        "  - type: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n"
        "    meta: {rule: a, b and c}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.yml: .*quote a rule that holds a comma"):
        quality.load_suites(tmp_path)


def test_a_rule_without_a_source_is_refused_and_the_description_names_each_rule(tmp_path):
    """A steward reads every rule with its source on the check (docs/quality-gates.md): a rule
    with no source of its own and none from its suite is refused when the suites load."""
    body = ("grain: [k]\nexpectations:\n  - type: expect_column_values_to_not_be_null\n"
            "    kwargs: {column: a}\n    meta: {rule: a is known, source: docs/method.md Stays}\n")
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "t.yml").write_text("asset: [marts, t]\n" + body, encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.yml: the rule 'one row per \(k\): the grain' "
                                         r"has no source"):
        quality.load_suites(tmp_path)
    (tmp_path / "again").mkdir()
    spec = _suite(tmp_path / "again", "asset: [marts, t]\nsource: seed 003 Trin 4\n" + body)
    assert spec.description.splitlines() == [
        "Great Expectations suite `marts.t` (expectations/marts/t.yml): a failure blocks "
        "everything downstream in the run. Rules:",
        "- one row per (k): the grain (source: seed 003 Trin 4)",
        "- (k) never null: the grain (source: seed 003 Trin 4)",
        "- a is known (source: docs/method.md Stays)"]
