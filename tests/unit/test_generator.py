"""The synthetic generator writes exactly the contract's files and columns, deterministically."""

import csv
import hashlib
from pathlib import Path

import pytest

from orchestration.core.contract import MONTHLY_TABLES, TABLES
from synthetic.writer import write_extract

pytestmark = pytest.mark.unit


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "landing"
    write_extract(out, scale=0.002, seed=11, first_month="2016-04", last_month="2019-09")
    return out


def test_layout_is_exactly_the_contract(landing):
    allowed = {t.relative_path(None).as_posix() for t in TABLES if not t.partitioned}
    for path in landing.rglob("*.csv"):
        rel = path.relative_to(landing)
        if len(rel.parts) == 3:  # <YYYY-MM>/<register>/<table>.csv
            month, register, name = rel.parts
            assert any(t.register == register and f"{t.name}.csv" == name
                       for t in MONTHLY_TABLES), rel
            assert "2016-04" <= month <= "2019-09"
        else:
            assert rel.as_posix() in allowed, rel
    assert not list(landing.rglob("*.part"))


def test_every_file_has_the_contract_columns_in_order(landing):
    for table in TABLES:
        files = list(landing.glob(f"*/{table.register}/{table.name}.csv")) or [
            landing / table.relative_path(None)]
        assert files and files[0].exists(), f"no file for {table.key}"
        for path in files:
            with open(path, encoding="utf-8", newline="") as fh:
                assert next(csv.reader(fh)) == table.column_names, path


def test_rows_lie_in_their_delivery_month(landing):
    for table in MONTHLY_TABLES:
        for path in landing.glob(f"*/{table.register}/{table.name}.csv"):
            month = path.parts[-3]
            with open(path, encoding="utf-8", newline="") as fh:
                values = {r[table.month_column][:7] for r in csv.DictReader(fh)}
            assert values == {month}, (path, values - {month})


def test_formats_dates_times_timestamps(landing):
    with open(next(landing.glob("2019-03/lpr3/kontakter.csv")), encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert len(row["dato_start"]) == 10 and len(row["tidspunkt_start"]) == 5
    with open(next(landing.glob("2017-01/gop/t_ggop.csv")), encoding="utf-8") as fh:
        ts = next(csv.DictReader(fh))["afsendt_tidspunkt"]
    assert len(ts) == 19 and ts[10] == "T"


def test_registers_follow_their_switches(landing):
    """D-GOP before/in May 2016 only, G-GOP from May 2016; LPR2 stays start before the
    March 2019 switch, LPR3 contacts from February 2019 ."""
    dgop = {p.parts[-3] for p in landing.glob("*/gop/t_dgop.csv")}
    ggop = {p.parts[-3] for p in landing.glob("*/gop/t_ggop.csv")}
    assert max(dgop) == "2016-05" and min(ggop) == "2016-05"
    assert max(p.parts[-3] for p in landing.glob("*/lpr2/t_adm.csv")) == "2019-03"
    assert min(p.parts[-3] for p in landing.glob("*/lpr3/kontakter.csv")) == "2019-02"


def test_messiness_is_present(landing):
    codes = []
    for path in landing.glob("*/lpr2/t_sksube.csv"):
        with open(path, encoding="utf-8") as fh:
            codes += [r["c_opr"] for r in csv.DictReader(fh)]
    normal = {c.strip().upper() for c in codes}
    assert {"ZZ0175", "ZZ0175X", "ZZ0175Y", "ZZ0175V", "AWG1"} <= normal
    assert normal & {"ZZ0175Q", "ZZ0175Z", "ZZ0175X9", "ZZ01751"}, "no invalid code"
    assert any(c != c.strip() or c != c.upper() for c in codes), "no lower-case/padded code"
    with open(landing / "cpr" / "t_adresse.csv", encoding="utf-8") as fh:
        addresses = list(csv.DictReader(fh))
    assert any(a["c_kom"] == "998" for a in addresses), "no unknown municipality"
    assert any(a["d_fraflyt_dato"] for a in addresses), "nobody moves or emigrates"


def test_deterministic_per_seed(tmp_path):
    args = dict(scale=0.001, first_month="2019-01", last_month="2019-03")
    write_extract(tmp_path / "a", seed=5, **args)
    write_extract(tmp_path / "b", seed=5, **args)
    write_extract(tmp_path / "c", seed=6, **args)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_parquet_has_the_same_columns(tmp_path):
    import pyarrow.parquet as pq

    write_extract(tmp_path / "p", scale=0.001, seed=5, first_month="2019-02",
                  last_month="2019-02", file_format="parquet")
    found = 0
    for table in TABLES:  # February 2019 has every table but D-GOP
        for path in (tmp_path / "p").glob(f"**/{table.register}/{table.name}.parquet"):
            assert pq.read_schema(path).names == table.column_names
            found += 1
    assert found == len(TABLES) - 1


def test_only_the_intended_contacts_end_before_they_start(landing):
    """The generator breaks the end-before-start rule on purpose in INVALID_ROWS_MIN contacts
    only; chained admission contacts must never do so by accident."""
    from synthetic.knobs import INVALID_ROWS_MIN

    broken = 0
    for path in landing.glob("*/lpr3/kontakter.csv"):
        with open(path, encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["dato_slut"] and (r["dato_slut"], r["tidspunkt_slut"]) < (
                        r["dato_start"], r["tidspunkt_start"]):
                    broken += 1
    assert broken == INVALID_ROWS_MIN


def test_same_bytes_whatever_the_chunking(tmp_path):
    """Months are generated a few at a time (bounded memory); each month has its
    own random stream, so the files are the same bytes for any number of months per chunk,
    across the LPR3 switch and a year end."""
    args = dict(scale=0.002, seed=9, first_month="2018-11", last_month="2019-04")
    write_extract(tmp_path / "one", chunk_months=1, **args)
    write_extract(tmp_path / "five", chunk_months=5, **args)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "five")


def test_lpr_keys_are_unique_across_months(landing):
    """Each month draws its own keys: they must still be unique over the whole extract."""
    for register, name, column in [("lpr2", "t_adm", "k_recnum"),
                                   ("lpr3", "kontakter", "dw_ek_kontakt"),
                                   ("lpr3", "forloeb", "dw_ek_forloeb"),
                                   ("lpr3", "procedurer_andre", "procedureregistrering_id")]:
        keys: list[str] = []
        for path in landing.glob(f"*/{register}/{name}.csv"):
            with open(path, encoding="utf-8") as fh:
                keys += [r[column] for r in csv.DictReader(fh)]
        assert keys and len(keys) == len(set(keys)), (register, name)
