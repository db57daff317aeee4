"""The suite layer (orchestration/quality.py): keys judged over the whole relation, row
conditions, and no key or person value in a result."""

import duckdb
import pytest

from orchestration import quality

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


def test_a_duplicate_key_split_over_two_batches_fails_the_grain(tmp_path, con, monkeypatch):
    monkeypatch.setattr(quality, "BATCH_ROWS", 2)
    spec = _suite(tmp_path, GRAIN)
    # rows 1 and 4 share (person_key, day); batches of two put them apart
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


def test_one_publish_renders_every_page_of_the_validations_before_it(tmp_path, con, monkeypatch):
    from urllib.parse import unquote

    monkeypatch.setattr(quality, "BATCH_ROWS", 2)  # two batches each: a page each, one linked
    spec = _suite(tmp_path, GRAIN)
    _table(con, [("p1", 1, "a", "a"), ("p2", 1, "b", "b"), ("p3", 2, "c", "a")])
    validator = quality.Validator(tmp_path / "gx")
    first, second = validator.validate(con, spec), validator.validate(con, spec)
    assert first.docs_url is None  # not yet published
    validator.publish()
    site = tmp_path / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = sorted(site.glob("validations/**/*.html"))
    assert len(pages) == 4 and (site / "index.html").exists()
    for outcome in (first, second):
        assert (site / unquote(outcome.docs_url.split("3001/", 1)[1])).exists()
    assert first.docs_url != second.docs_url
