"""End to end: `gop generate` a small extract, `gop run` it, check the exports against an
independent plain-Python calculation of product 1 (tests/reference_linkage.py)."""

import csv
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.app.cli import main
from orchestration.core.paths import DBT_PROJECT_DIR
from tests.reference_linkage import link

pytestmark = pytest.mark.e2e

STATUSES = {"linked", "excluded_duplicate", "excluded_no_stay", "excluded_supplement",
            "excluded_tail"}


@pytest.fixture(scope="module")
def run(e2e_run):
    """The session's `gop run` of the end-to-end extract (conftest); later tests read what it
    left, and some refresh it again."""
    return e2e_run


def read_export(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_plans_linked_matches_the_independent_calculation(run, e2e_landing):
    exported = {r["plan_id"]: r for r in read_export(run / "exports" / "plans_linked.csv")}
    expected = link(e2e_landing)
    assert exported.keys() == expected.keys()
    wrong = [(pid, exported[pid], expected[pid]) for pid in expected
             if exported[pid] != expected[pid]]
    assert not wrong, f"{len(wrong)} plans differ, first: {wrong[:3]}"


def test_every_status_occurs_and_the_header_is_the_contract(run):
    rows = read_export(run / "exports" / "plans_linked.csv")
    assert list(rows[0].keys()) == ["plan_id", "plan_type", "sent_date", "status", "stay_type",
                                    "stay_end_date", "delay_days", "timeliness_group"]
    assert {r["status"] for r in rows} == STATUSES
    assert {r["timeliness_group"] for r in rows if r["status"] == "linked"} == {
        "timely", "days_2_7", "days_8_14"}
    negative = [r for r in rows if r["delay_days"] and int(r["delay_days"]) < 0]
    assert negative and all(r["stay_type"] == "admission" for r in negative)


def test_no_export_carries_a_person_key(run, e2e_landing):
    with open(e2e_landing / "cpr" / "t_adresse.csv", encoding="utf-8") as fh:
        keys = {r["cpr_encrypted"] for r in csv.DictReader(fh)}
    for path in (run / "exports").rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert not any(k in text for k in keys), path


def test_funnel_conserves_plans_and_matches_sds_shape(run):
    con = duckdb.connect(str(run / "w.duckdb"), read_only=True)
    try:
        bad = con.execute("""
            select count(*) from marts.mart_linkage_funnel
            where plans_in <> removed_steps_1_5 + removed_window_tail + linked""").fetchone()[0]
        assert bad == 0
        # seed 003: steps 1-5 remove under 2 %, the window about 5 % (almen, 2018).
        share_steps, share_window = con.execute("""
            select sum(removed_steps_1_5) / sum(plans_in), sum(removed_window_tail) / sum(plans_in)
            from marts.mart_linkage_funnel where plan_type = 'almen'""").fetchone()
        assert share_steps < 0.04 and 0.02 < share_window < 0.10
    finally:
        con.close()


def test_charts_are_written(run):
    charts = sorted(p.name for p in (run / "exports" / "charts").glob("*.png"))
    assert charts == ["figur7_delay_almen.png", "figur7_delay_rehab_spec.png",
                      "figur7_delay_specialiseret.png", "figur9_timeliness.png"]


def test_a_new_month_refreshed_incrementally_gives_the_exports_of_a_full_build(
        run, e2e_landing, tmp_path, monkeypatch):
    """The monthly path: every month but the last is loaded and refreshed, then the last
    month arrives; its refresh is incremental (stays by person, staging by month, the
    linkage from the new month's moment) and its exports are byte for byte those of the
    full build of all months (the `run` fixture, before any test below refreshes it again),
    and so are the rows of every incremental model."""
    landing = tmp_path / "landing"
    months = sorted(p.name for p in e2e_landing.iterdir() if p.name[:2] == "20")
    for path in sorted(e2e_landing.rglob("*")):
        if path.is_file() and path.relative_to(e2e_landing).parts[0] != months[-1]:
            target = landing / path.relative_to(e2e_landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    args = ["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb"),
            "--exports", str(tmp_path / "exports")]
    assert main(args) == 0
    for path in sorted((e2e_landing / months[-1]).rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(e2e_landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert main(args) == 0
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        refreshes = con.execute("SELECT full_refresh FROM raw._refreshes "
                                "ORDER BY change_id").fetchall()
    assert refreshes == [(True,), (False,)]
    full = {p.name: p.read_bytes() for p in (run / "exports").glob("*.csv")}
    assert full and {p.name: p.read_bytes()
                     for p in (tmp_path / "exports").glob("*.csv")} == full
    assert differing_incremental_tables(tmp_path / "w.duckdb", run / "w.duckdb") == []


def differing_incremental_tables(built: Path, rebuilt: Path) -> list[str]:
    """The incremental dbt models whose rows (as multisets) differ between two warehouses."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = [(n["schema"], n["name"]) for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"]
    assert len(models) > 10
    con = duckdb.connect()
    con.execute(f"attach '{built}' as a (read_only)")
    con.execute(f"attach '{rebuilt}' as b (read_only)")
    differ = [f"{schema}.{name}" for schema, name in models if con.execute(
        f"select count(*) from (select * from a.{schema}.{name} except all "
        f"select * from b.{schema}.{name}) union all select count(*) from ("
        f"select * from b.{schema}.{name} except all select * from a.{schema}.{name})"
    ).fetchall() != [(0,), (0,)]]
    con.close()
    return differ


def test_rerun_is_idempotent(run, e2e_landing, monkeypatch):
    """Two months loaded again: the refresh is incremental (their persons' stays deleted and
    rebuilt, docs/incremental-refresh.md) and the exports are those of the full build."""
    before = {p.name: p.read_bytes() for p in (run / "exports").glob("*.csv")}
    monkeypatch.setenv("DAGSTER_HOME", str(run / "dagster_home"))
    assert main(["run", "--landing", str(e2e_landing), "--warehouse", str(run / "w.duckdb"),
                 "--exports", str(run / "exports"), "--from", "2019-01", "--to", "2019-02",
                 "--reload"]) == 0
    assert {p.name: p.read_bytes() for p in (run / "exports").glob("*.csv")} == before
    with duckdb.connect(str(run / "w.duckdb"), read_only=True) as con:
        refreshes = con.execute("SELECT full_refresh FROM raw._refreshes "
                                "ORDER BY change_id").fetchall()
        pending = con.execute("SELECT count(*) FROM raw._changed_persons").fetchone()[0]
    assert refreshes == [(True,), (False,)]
    assert pending == 0  # the changes the refresh covered are dropped


def test_an_unchanged_month_is_not_loaded_again(run, e2e_landing, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(run / "dagster_home"))
    assert main(["run", "--landing", str(e2e_landing), "--warehouse", str(run / "w.duckdb"),
                 "--exports", str(run / "exports"), "--no-refresh"]) == 0
    assert "loaded 0 of" in capsys.readouterr().out


def test_empty_landing_says_so_and_changes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "landing").mkdir()
    code = main(["run", "--landing", str(tmp_path / "landing"), "--warehouse",
                 str(tmp_path / "w.duckdb"), "--exports", str(tmp_path / "exports")])
    assert code == 1
    assert "no delivery month" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing"]


def test_rule_breaking_rows_are_quarantined_with_their_reason(run):
    """docs/extract-contract.md: a readable row that breaks a rule is kept, with its reason, in a
    quarantine a steward can query per delivery month, and counted nowhere."""
    con = duckdb.connect(str(run / "w.duckdb"), read_only=True)
    try:
        rules = {r[0]: r[1] for r in con.execute(
            "select rule, count(*) from marts.fct_quarantined_rows group by rule").fetchall()}
        assert {"invalid_code", "orphan_key", "end_before_start",
                "unknown_municipality"} <= rules.keys()
        columns = [r[0] for r in con.execute("describe marts.fct_quarantined_rows").fetchall()]
        assert not any("person" in c or "cpr" in c for c in columns)
        # Each quarantined file row points back at a real raw row of that delivery.
        missing = con.execute("""
            select count(*) from marts.fct_quarantined_rows q
            where q.source_table = 'lpr2__t_sksube' and not exists (
                select 1 from raw.lpr2__t_sksube r
                where r._source_file = q.source_file and r._source_row = q.source_row)
        """).fetchone()[0]
        assert missing == 0
        # An invalid code is counted nowhere: not among the typed registrations.
        leaked = con.execute("""
            select count(*) from intermediate.int_registrations__typed t
            join intermediate.int_registrations__plan_codes p using (registration_key)
            where p.quarantine_reason is not null""").fetchone()[0]
        assert leaked == 0
        share = con.execute("select max(quarantined_share) from "
                            "marts.mart_quarantine_by_delivery").fetchone()[0]
        assert 0 < share < 0.05
    finally:
        con.close()


def test_a_failing_gate_blocks_downstream_and_keeps_the_last_good_exports(run, e2e_landing,
                                                                         monkeypatch, capsys):
    """With a quarantine threshold of 0 (and no floor of rows) the raw gates fail
    on the generator's few rule-breaking rows; the run stops before anything downstream,
    and the exports of the last good run stay byte for byte."""
    from tests.servers import Smtp, Webhook

    exports = {p: p.read_bytes() for p in (run / "exports").rglob("*") if p.is_file()}
    webhook, smtp = Webhook(), Smtp()
    monkeypatch.setenv("DAGSTER_HOME", str(run / "dagster_home"))
    monkeypatch.setenv("GOP_QUARANTINE_THRESHOLD", "0")
    monkeypatch.setenv("GOP_QUARANTINE_MIN_ROWS", "0")
    monkeypatch.setenv("GOP_ALERT_WEBHOOK_URL", webhook.url)
    monkeypatch.setenv("GOP_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GOP_ALERT_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("GOP_ALERT_EMAIL_TO", "steward@example.org")
    try:
        code = main(["run", "--landing", str(e2e_landing), "--warehouse",
                     str(run / "w.duckdb"), "--exports", str(run / "exports"),
                     "--from", "2019-01", "--to", "2019-02"])
    finally:
        webhook.close()
        smtp.close()
    assert code == 1
    out = capsys.readouterr().out
    assert "gx_raw__" in out
    # What a person reads fits on a screen, and the failure is in its last lines, followed
    # only by where the whole log is (docs/operations.md, "What `gop run` shows, and `gop
    # status`").
    lines = out.splitlines()
    assert len(lines) <= 40, out
    tail = lines[lines.index("FAILED:"):]
    assert len(tail) <= 15 and any("gx_raw__" in line for line in tail), out
    assert tail[-1].startswith("full log: ") and Path(tail[-1][len("full log: "):]).exists()
    assert {p: p.read_bytes() for p in exports} == exports
    # One alert per failure, on both channels: which check, on which asset, how many rows,
    # and the link to the run.
    (alert,) = webhook.received
    assert alert["title"].startswith("Run failed") and "/runs/" in alert["run_url"]
    assert any("gx_raw__" in f and "failing rows" in f for f in alert["failures"])
    (mail,) = smtp.messages
    assert "gx_raw__" in mail and "steward@example.org" in mail


def test_every_gate_ran_and_links_its_data_docs_page(run, gx_dir, monkeypatch):
    """The GX checks ran on their assets in the run, and each links the rendered Data Docs
    page of its validation (served by `make data-docs`)."""
    from urllib.parse import unquote

    from dagster import DagsterEventType, DagsterInstance

    monkeypatch.setenv("DAGSTER_HOME", str(run / "dagster_home"))
    instance = DagsterInstance.get()
    records = [r for dagster_run in instance.get_runs()
               for r in instance.get_records_for_run(
                   dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records]
    gx = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    gx = [e for e in gx if e.check_name.startswith("gx_")]
    from orchestration.core.quality import load_suites

    assert {e.check_name for e in gx} >= {f"gx_{s.name.replace('.', '__')}"
                                          for s in load_suites()}
    site = gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site"
    for e in gx:
        url = e.metadata["data_docs"].value
        assert url.startswith("http://127.0.0.1:3001/validations/")
        assert (site / unquote(url.split("3001/", 1)[1])).exists(), url
