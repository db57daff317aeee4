"""Bad input, tried (docs/quality-gates.md): a generated extract corrupted one way at a time.

Every case ends either in a clear error naming file, row and column, or in quarantine with
its reason; with the gate result expected; with an alert delivered to a local webhook and
a local SMTP server; and with nothing lost: the previous good raw rows, marts and exports
stay as they were, and a quarantined row is kept, with its reason, not dropped.

- Errors: each case starts from a copy of one good run and runs `gop run` on the month it
  corrupts. The run stops at ingestion, before anything is written.
- Quarantine: each corruption hits its own delivery month (or the CPR snapshot), and one
  `gop run` loads all five months as one range and refreshes: each gate's alert line names
  its table and the corrupted row, so the cases stay apart while sharing one run (a full
  run costs ~40 s; the rows the cases touch are disjoint).

docs/quality-gates.md, "Bad input, tried", lists the same cases and outcomes.
"""

import csv
import email
import email.policy
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.app.cli import main
from orchestration.core.paths import EXPECTATIONS_DIR
from tests.conftest import SMALL_MONTHS
from tests.servers import Smtp, Webhook

pytestmark = pytest.mark.e2e

FIRST, LAST = SMALL_MONTHS
# At this small scale a month holds only ~200-400 procedure rows, so one bad row plus the
# generator's own few would pass the default 0.1 %: 5 % keeps them a quarantine, and the
# case "beyond the threshold" corrupts a quarter of a month.
THRESHOLD = "0.05"
DIGESTED = ("raw.lpr2__t_adm", "raw.lpr2__t_bes", "raw.lpr2__t_sksube", "raw.gop__t_ggop",
            "raw.cpr__t_adresse", "raw._deliveries", "marts.fct_plans_linked",
            "marts.mart_table1_published", "marts.fct_quarantined_rows")


# --- corrupting a CSV file of the landing directory -----------------------------------------
def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def set_value(path: Path, column: str, value: str, where=lambda row: True) -> int:
    """Set `column` of the first data row that `where` accepts; returns its row number."""
    header, rows = read_rows(path)
    col = header.index(column)
    n = next(i for i, r in enumerate(rows) if where(dict(zip(header, r, strict=True))))
    rows[n][col] = value
    write_rows(path, header, rows)
    return n + 1


# --- one case's world: a copy of the good run, alert servers, and its digest -----------------
@dataclass
class World:
    root: Path
    webhook: Webhook = field(default_factory=Webhook)
    smtp: Smtp = field(default_factory=Smtp)

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def gop_run(self, capsys, *args: str) -> tuple[int, str]:
        code = main(["run", "--landing", str(self.landing), "--warehouse",
                     str(self.root / "w.duckdb"), "--exports", str(self.root / "exports"),
                     *args])
        out = capsys.readouterr()
        return code, out.out + out.err

    def digest(self) -> dict[str, object]:
        """Everything that must stay when a delivery is refused: raw rows, marts, exports."""
        con = duckdb.connect(str(self.root / "w.duckdb"), read_only=True)
        try:
            state: dict[str, object] = {
                t: con.execute(f"select count(*), md5(string_agg(x::varchar, '|' order by "
                               f"x::varchar)) from {t} x").fetchone() for t in DIGESTED}
        finally:
            con.close()
        for p in sorted((self.root / "exports").rglob("*")):
            if p.is_file():
                state[p.name] = p.read_bytes()
        return state

    def alerts(self) -> tuple[list[str], list[str]]:
        """The webhook texts, and the e-mails as their To header plus decoded body."""
        mails = [email.message_from_string(m, policy=email.policy.default)
                 for m in self.smtp.messages]
        return ([a["text"] for a in self.webhook.received],
                [f"To: {m['To']}\n{m.get_content()}" for m in mails])

    def close(self) -> None:
        self.webhook.close()
        self.smtp.close()


def _environment(mp: pytest.MonkeyPatch, root: Path, world: World) -> None:
    mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    mp.setenv("GOP_QUARANTINE_THRESHOLD", THRESHOLD)
    for var in ("GOP_ALERT_WEBHOOK_URL", "GOP_ALERT_SMTP_HOST", "GOP_ALERT_EMAIL_TO"):
        mp.delenv(var, raising=False)
    mp.setenv("GOP_ALERT_WEBHOOK_URL", world.webhook.url)
    mp.setenv("GOP_ALERT_SMTP_HOST", "127.0.0.1")
    mp.setenv("GOP_ALERT_SMTP_PORT", str(world.smtp.port))
    mp.setenv("GOP_ALERT_EMAIL_TO", "steward@example.org")


@pytest.fixture(scope="module")
def good_run(small_run) -> Path:
    """One good run of a five-month extract (conftest): the state every case starts from."""
    return small_run


def _world(good_run: Path, root: Path, mp: pytest.MonkeyPatch) -> World:
    for name in ("landing", "exports", "dagster_home"):
        shutil.copytree(good_run / name, root / name)
    shutil.copy(good_run / "w.duckdb", root / "w.duckdb")
    world = World(root)
    _environment(mp, root, world)
    return world


@pytest.fixture()
def world(good_run, tmp_path, monkeypatch):
    w = _world(good_run, tmp_path, monkeypatch)
    yield w
    w.close()


# --- errors: the delivery is refused before anything is written -----------------------------
MONTH = "2018-02"


def _adm(landing: Path) -> Path:
    return landing / MONTH / "lpr2" / "t_adm.csv"


def missing_column(landing: Path):
    header, rows = read_rows(_adm(landing))
    col = header.index("c_pattype")
    write_rows(_adm(landing), header[:col] + header[col + 1:],
               [r[:col] + r[col + 1:] for r in rows])
    return MONTH, f"{MONTH}/lpr2/t_adm.csv, header row, column c_pattype: missing column"


def extra_column(landing: Path):
    header, rows = read_rows(_adm(landing))
    write_rows(_adm(landing), [*header, "c_note"], [[*r, ""] for r in rows])
    return MONTH, f"{MONTH}/lpr2/t_adm.csv, header row, column c_note: unexpected column"


def renamed_file(landing: Path):
    _adm(landing).rename(_adm(landing).with_name("T_ADM.csv"))
    return MONTH, f"{MONTH}/lpr2/T_ADM.csv: not a file of the contract"


def wrong_encoding(landing: Path):
    n = set_value(_adm(landing), "c_afd", "Ærø")
    path = _adm(landing)
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    return MONTH, f"{MONTH}/lpr2/t_adm.csv, row {n} (line {n + 1}), column c_afd: not UTF-8"


def truncated_csv(landing: Path):
    path = landing / MONTH / "lpr2" / "t_bes.csv"
    text = path.read_text(encoding="utf-8")
    rows = text.count("\n") - 1
    path.write_text(text[: text.rstrip("\n").rfind(",")], encoding="utf-8")
    return MONTH, (f"{MONTH}/lpr2/t_bes.csv, row {rows} (line {rows + 1}), column d_ambdto: "
                   "the row ends after 1 of 2 fields")


def unparseable_date(landing: Path):
    n = set_value(_adm(landing), "d_inddto", "2018-02-30")
    return MONTH, (f"{MONTH}/lpr2/t_adm.csv, row {n} (line {n + 1}), column d_inddto: "
                   "value '2018-02-30' is not a date YYYY-MM-DD")


def date_in_1899(landing: Path):
    n = set_value(_adm(landing), "d_inddto", "1899-02-14")
    return MONTH, (f"{MONTH}/lpr2/t_adm.csv, row {n} (line {n + 1}), column d_inddto: "
                   f"date 1899-02-14 is not in the delivery month {MONTH}")


def date_in_the_future(landing: Path):
    future = (date.today() + timedelta(days=400)).isoformat()
    n = set_value(landing / MONTH / "gop" / "t_ggop.csv", "afsendt_tidspunkt",
                  f"{future}T10:00:00")
    return MONTH, (f"{MONTH}/gop/t_ggop.csv, row {n} (line {n + 1}), column "
                   f"afsendt_tidspunkt: date {future} is not in the delivery month {MONTH}")


def duplicated_delivery_month(landing: Path):
    # March's delivery arrives again as April's.
    shutil.copytree(landing / LAST, landing / "2018-04")
    return "2018-04", ("2018-04/lpr2/t_adm.csv, row 1 (line 2), column d_inddto: date "
                       "2018-03-")


def empty_file(landing: Path):
    (landing / MONTH / "lpr2" / "t_sksube.csv").write_bytes(b"")
    return MONTH, f"{MONTH}/lpr2/t_sksube.csv, header row: the file is empty"


def empty_month(landing: Path):
    for register in ("lpr2", "lpr3", "gop"):
        (landing / "2018-04" / register).mkdir(parents=True)
    return "2018-04", "2018-04/: the delivery folder holds no extract file"


def invalid_codes_beyond_the_threshold(landing: Path):
    """A bad delivery, not a bad row: a quarter of a month's procedures carry an invalid
    code."""
    path = landing / MONTH / "lpr2" / "t_sksube.csv"
    header, rows = read_rows(path)
    for r in rows[: len(rows) // 4]:
        r[header.index("c_opr")] = "ZZ0175Q"
    write_rows(path, header, rows)
    return MONTH, "check gx_raw__lpr2__t_sksube on lpr2/t_sksube failed (ERROR"


ERRORS = [missing_column, extra_column, renamed_file, wrong_encoding, truncated_csv,
          unparseable_date, date_in_1899, date_in_the_future, duplicated_delivery_month,
          empty_file, empty_month, invalid_codes_beyond_the_threshold]


@pytest.mark.parametrize("corrupt", ERRORS, ids=[c.__name__ for c in ERRORS])
def test_a_broken_delivery_is_refused_with_its_place_alerted_and_nothing_lost(
        corrupt, world, capsys):
    before = world.digest()
    month, expected = corrupt(world.landing)
    code, out = world.gop_run(capsys, "--from", month, "--to", month)
    assert code == 1
    assert expected in out, out
    webhook, mail = world.alerts()
    assert len(webhook) == 1 and len(mail) == 1, (webhook, mail)
    assert expected in webhook[0] and "Run failed: ingest_deliveries" in webhook[0]
    assert "steward@example.org" in mail[0] and expected in mail[0]
    assert world.digest() == before


# --- quarantine: the row is kept with its reason, counted nowhere, and the gate warns --------
def invalid_plan_code(landing: Path):
    path = landing / "2017-11" / "lpr2" / "t_sksube.csv"
    n = set_value(path, "c_opr", "ZZ0175Q", lambda r: r["c_opr"].startswith("ZZ0175"))
    return "2017-11", "lpr2__t_sksube", n, "invalid_code"


def orphan_v_recnum(landing: Path):
    n = set_value(landing / "2018-01" / "lpr2" / "t_bes.csv", "v_recnum", "999999999999")
    return "2018-01", "lpr2__t_bes", n, "orphan_key"


def discharge_before_admission(landing: Path):
    path = landing / "2018-03" / "lpr2" / "t_adm.csv"
    header, rows = read_rows(path)
    n = next(i for i, r in enumerate(rows) if r[header.index("c_pattype")] == "0"
             and r[header.index("d_uddto")])
    start = date.fromisoformat(rows[n][header.index("d_inddto")])
    rows[n][header.index("d_uddto")] = (start - timedelta(days=3)).isoformat()
    write_rows(path, header, rows)
    return "2018-03", "lpr2__t_adm", n + 1, "end_before_start"


def unknown_municipality(landing: Path):
    n = set_value(landing / "cpr" / "t_adresse.csv", "c_kom", "999")
    return "snapshot", "cpr__t_adresse", n, "unknown_municipality"


QUARANTINED = [invalid_plan_code, orphan_v_recnum, discharge_before_admission,
               unknown_municipality]


def lower_case_valid_code(landing: Path):
    """docs/method.md, "Valid codes": compared after trim and upper-case, so it counts."""
    path = landing / "2017-12" / "lpr2" / "t_sksube.csv"
    header, rows = read_rows(path)
    n = next(i for i, r in enumerate(rows) if r[header.index("c_opr")].startswith("ZZ0175"))
    code = rows[n][header.index("c_opr")]
    rows[n][header.index("c_opr")] = f" {code.lower()}"
    write_rows(path, header, rows)
    return "2017-12", n + 1, code


def outpatient_pair_forced_negative(landing: Path, good_run: Path):
    """A linked outpatient visit moved to the day after its plan was sent: delay -1. Step 3
    (docs/method.md) drops that pair, so no outpatient delay is ever negative."""
    con = duckdb.connect(str(good_run / "w.duckdb"), read_only=True)
    try:
        plan_id, stay_key, sent = con.execute(f"""
            select plan_id, stay_key, sent_date
            from intermediate.int_linkage__step5_one_plan_per_stay
            where stay_key like 'lpr2:bes:%' and strftime(sent_date, '%Y-%m') = '{MONTH}'
              and strftime(stay_end_date, '%Y-%m') = '{MONTH}' and day(sent_date) < 28
            order by plan_id limit 1""").fetchone()
    finally:
        con.close()
    _, _, recnum, visit, _ = stay_key.split(":")
    visit_day = f"{visit[:4]}-{visit[4:6]}-{visit[6:]}"
    n = set_value(landing / MONTH / "lpr2" / "t_bes.csv", "d_ambdto",
                  (sent + timedelta(days=1)).isoformat(),
                  lambda r: r["v_recnum"] == recnum and r["d_ambdto"] == visit_day)
    return MONTH, n, plan_id


def test_a_failing_staging_gate_stops_the_later_layers_and_exports_in_its_run(
        world, capsys, monkeypatch, tmp_path):
    """A gate of one layer stops the next layers in its run, not only the models that read
    its table. The plans' staging suite is given a rule no plan keeps; a re-delivered month
    without one plan then reaches `raw` and staging, but no linkage model, mart or export."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.core import quality

    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    with open(suites / "staging" / "stg_gop__t_ggop.yml", "a", encoding="utf-8") as fh:
        fh.write("  - type: expect_column_values_to_be_in_set\n"
                 "    kwargs: {column: gop_type_code, value_set: [NONE]}\n"
                 "    meta: {rule: a rule no plan keeps (the test's)}\n")
    real_load_suites = quality.load_suites
    monkeypatch.setattr(quality, "load_suites",
                        lambda root=suites, gates=quality.DEFAULT_GATES: real_load_suites(root,
                                                                                         gates))
    path = world.landing / MONTH / "gop" / "t_ggop.csv"
    header, rows = read_rows(path)
    write_rows(path, header, rows[1:])
    before = world.digest()

    code, out = world.gop_run(capsys, "--from", MONTH, "--to", MONTH)

    assert code == 1, out
    check = "check gx_staging__stg_gop__t_ggop on staging/stg_gop__t_ggop failed (ERROR"
    assert check in out and "a rule no plan keeps" in out
    # The month's own quarantined rows warn from its ingestion run; the refresh fails.
    webhook, mail = world.alerts()
    (failed,) = [t for t in webhook if t.startswith("Run failed: refresh_downstream")]
    assert check in failed and sum(check in m for m in mail) == 1
    after = world.digest()
    assert after["raw.gop__t_ggop"][0] == before["raw.gop__t_ggop"][0] - 1
    assert {k: v for k, v in after.items() if not k.startswith("raw.")} == \
        {k: v for k, v in before.items() if not k.startswith("raw.")}
    instance = DagsterInstance.get()
    (run,) = instance.get_runs(limit=1)
    built = {r.asset_key.path[0] for r in instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records}
    assert run.job_name == "refresh_downstream" and "staging" in built
    assert not built & {"intermediate", "marts", "exports"}, built


@dataclass
class QuarantineRun:
    root: Path
    cases: dict[str, tuple]  # case -> where its row is
    result: tuple[int, str, list[str], list[str]]  # exit code, output, webhook texts, mails


@pytest.fixture(scope="module")
def quarantine_run(good_run, tmp_path_factory) -> QuarantineRun:
    root = tmp_path_factory.mktemp("bad_input_quarantine")
    mp = pytest.MonkeyPatch()
    world = _world(good_run, root, mp)
    cases = {}

    def run(*args):
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = main(["run", "--landing", str(world.landing), "--warehouse",
                         str(root / "w.duckdb"), "--exports", str(root / "exports"), *args])
        webhook, mail = world.alerts()
        world.webhook.received.clear()
        world.smtp.messages.clear()
        return code, buf.getvalue(), webhook, mail

    try:
        # Every case is in its own month (and the snapshot): one run loads them all, as one
        # delivery range, and the refresh builds on them.
        for corrupt in QUARANTINED:
            cases[corrupt.__name__] = corrupt(world.landing)
        cases["lower_case_valid_code"] = lower_case_valid_code(world.landing)
        cases["outpatient_pair_forced_negative"] = \
            outpatient_pair_forced_negative(world.landing, good_run)
        result = run("--from", FIRST, "--to", LAST)
    finally:
        world.close()
        mp.undo()
    return QuarantineRun(root, cases, result)


def _quarantine(run: QuarantineRun) -> set[tuple]:
    con = duckdb.connect(str(run.root / "w.duckdb"), read_only=True)
    try:
        return set(con.execute("select source_table, source_file, source_row, rule "
                               "from marts.fct_quarantined_rows").fetchall())
    finally:
        con.close()


def _file(month: str, table: str) -> str:
    register, name = table.split("__")
    return f"{register}/{name}.csv" if month == "snapshot" else f"{month}/{register}/{name}.csv"


@pytest.mark.parametrize("case", [c.__name__ for c in QUARANTINED])
def test_a_rule_breaking_row_is_quarantined_with_its_reason_and_the_gate_warns(
        quarantine_run, case):
    month, table, row, rule = quarantine_run.cases[case]
    where = f"{_file(month, table)} row {row}"
    code, out, webhook, mail = quarantine_run.result
    # The delivery is let in; the gate of its table warns, naming the row, on both channels.
    assert code == 0, out
    check = f"check gx_raw__{table} on {table.replace('__', '/')} failed (WARN"
    (text,) = [t for t in webhook if check in t]  # once, though two runs may warn
    line = next(line for line in text.splitlines() if check in line)
    assert where in line and "rows to quarantine" in line
    assert text.startswith("Quality warning") and any(where in m for m in mail)
    # The row is kept, with its reason, in the quarantine a steward reads.
    assert (table, _file(month, table), row, rule) in _quarantine(quarantine_run)


def test_a_quarantined_row_is_counted_nowhere(quarantine_run):
    """The invalid code's registration and the orphan visit reach no model that counts."""
    _, table, row, _ = quarantine_run.cases["invalid_plan_code"]
    con = duckdb.connect(str(quarantine_run.root / "w.duckdb"), read_only=True)
    try:
        typed = con.execute("""
            select count(*) from intermediate.int_registrations__typed t
            join intermediate.int_registrations__plan_codes p using (registration_key)
            where p.source_file = '2017-11/lpr2/t_sksube.csv' and p.source_row = ?""",
                            [row]).fetchone()[0]
        assert typed == 0
        _, _, row, _ = quarantine_run.cases["orphan_v_recnum"]
        stays = con.execute("select count(*) from intermediate.int_stays where stay_key like "
                            "'lpr2:bes:999999999999:%'").fetchone()[0]
        assert stays == 0
    finally:
        con.close()


def test_a_lower_case_valid_code_counts_and_alerts_nothing(quarantine_run):
    month, row, code = quarantine_run.cases["lower_case_valid_code"]
    where = f"{month}/lpr2/t_sksube.csv row {row}"
    _, out, webhook, mail = quarantine_run.result
    assert not any(where in text for text in webhook + mail)
    assert all(where not in str(q) for q in _quarantine(quarantine_run))
    con = duckdb.connect(str(quarantine_run.root / "w.duckdb"), read_only=True)
    try:
        (found,) = con.execute("""
            select procedure_code from intermediate.int_registrations__plan_codes
            where source_file = ? and source_row = ? and quarantine_reason is null""",
                               [f"{month}/lpr2/t_sksube.csv", row]).fetchone()
    finally:
        con.close()
    assert found == code


def test_an_outpatient_pair_forced_negative_is_dropped_and_the_gate_passes(quarantine_run):
    _, _, plan = quarantine_run.cases["outpatient_pair_forced_negative"]
    code, out, webhook, _ = quarantine_run.result
    assert code == 0, out
    # The negative-delay gate (expectations/intermediate/...step3...) ran and passed.
    assert not any("int_linkage__step3" in text for text in webhook)
    with open(quarantine_run.root / "exports" / "plans_linked.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert not [r for r in rows if r["stay_type"] == "outpatient" and r["delay_days"]
                and int(r["delay_days"]) < 0]
    (mine,) = [r for r in rows if r["plan_id"] == plan]
    assert mine["status"] == "excluded_no_stay" or int(mine["delay_days"]) >= 0


def test_the_negative_delay_gate_blocks_an_outpatient_pair_that_slipped_through(good_run,
                                                                                tmp_path):
    """If linkage ever produced one, the intermediate gate would fail on it: the suite run on
    a copy of step 3 with one outpatient pair's delay forced below zero."""
    from orchestration.core import quality

    shutil.copy(good_run / "w.duckdb", tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute("""
            update intermediate.int_linkage__step3_pairs_not_before_stay
            set sent_date = stay_end_date - 1, delay_days = -1
            where stay_key = (select min(stay_key)
                              from intermediate.int_linkage__step3_pairs_not_before_stay
                              where stay_type = 'outpatient')""")
        (spec,) = [s for s in quality.load_suites()
                   if s.name == "intermediate.int_linkage__step3_pairs_not_before_stay"]
        outcome = quality.validate(con, spec)
    finally:
        con.close()
    assert not outcome.success
    failed = {o.rule: o.unexpected_count for o in outcome.failed}
    # An outpatient visit lasts no day, so the length rule fails on the same row.
    assert failed == {"negative delays only for admissions": 1,
                      "a negative delay is never below minus the admission's length": 1}


def test_a_month_loaded_before_its_parents_names_the_months_not_loaded_yet(
        good_run, tmp_path, monkeypatch, capsys):
    """A backfill out of order: March alone into an empty warehouse. Its visits and
    procedures point at contacts of earlier months, so they are orphans beyond the
    threshold; the refusal names the months of the landing directory not loaded yet."""
    shutil.copytree(good_run / "landing", tmp_path / "landing")
    world = World(tmp_path)
    _environment(monkeypatch, tmp_path, world)
    # No orphan is tolerated here: how many of March's rows point at earlier months (the
    # procedures of an admission that began before March) is the generator's chance, and
    # one such row is enough to make the case.
    monkeypatch.setenv("GOP_QUARANTINE_THRESHOLD", "0")
    try:
        code, out = world.gop_run(capsys, "--from", LAST, "--to", LAST)
    finally:
        world.close()
    assert code == 1, out
    assert "(else orphan, quarantined)" in out
    assert ("their parent rows may be in a month not loaded yet: 2017-11, 2017-12, 2018-01, "
            "2018-02 in the landing directory; load the months in order") in out, out
    assert "loaded 0 of 1 delivery months" in out
