"""Ingestion: a month loads, reloads without duplicates, is replaced on re-delivery, and a
broken file fails with file, row and column while the previous rows stay."""

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.core import ingest
from orchestration.defs.ingestion.partitions import contiguous_ranges
from synthetic.writer import write_extract

pytestmark = pytest.mark.unit

MONTHS = ["2019-01", "2019-02"]


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ingest") / "landing"
    write_extract(out, scale=0.001, seed=3, first_month=MONTHS[0], last_month=MONTHS[-1])
    return out


@pytest.fixture()
def landing(delivered, tmp_path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(delivered, copy)
    return copy


@pytest.fixture()
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for t in ("lpr2__t_adm", "lpr2__t_bes", "lpr3__kontakter", "gop__t_ggop")}


def file_rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_a_month_loads_every_table_with_lineage(landing, con):
    loaded = ingest.load(con, landing, ["2019-01"])
    by_table = {f.table: f for f in loaded}
    assert by_table["lpr2__t_adm"].rows == file_rows(landing / "2019-01/lpr2/t_adm.csv")
    row = con.execute("select _delivery_month, _source_file, _source_row from raw.lpr2__t_adm "
                      "order by _source_row limit 1").fetchone()
    assert row == ("2019-01", "2019-01/lpr2/t_adm.csv", 1)
    assert con.execute("select count(*) from raw._deliveries").fetchone()[0] == 9


def test_reloading_does_not_duplicate(landing, con):
    ingest.load(con, landing, MONTHS)
    first = counts(con)
    ingest.load(con, landing, MONTHS)
    ingest.load(con, landing, ["2019-02"])
    assert counts(con) == first


def test_redelivery_replaces_the_month(landing, con):
    ingest.load(con, landing, MONTHS)
    before = counts(con)
    path = landing / "2019-02/lpr3/kontakter.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:11]), encoding="utf-8")  # header + 10 rows
    (landing / "2019-02/gop/t_ggop.csv").unlink()  # an absent file: the month has none
    ingest.load(con, landing, ["2019-02"])
    after = counts(con)
    jan = con.execute("select count(*) from raw.lpr3__kontakter where _delivery_month = "
                      "'2019-01'").fetchone()[0]
    assert after["lpr3__kontakter"] == jan + 10
    assert after["gop__t_ggop"] < before["gop__t_ggop"]
    assert con.execute("select count(*) from raw.gop__t_ggop where _delivery_month = "
                       "'2019-02'").fetchone()[0] == 0
    assert after["lpr2__t_adm"] == before["lpr2__t_adm"]


def _break(path: Path, row: int, column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        data = list(csv.reader(fh))
    data[row][data[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(data)


def test_a_load_records_the_months_it_changed_and_which_it_replaced(landing, con):
    """raw._changed_months (docs/incremental-refresh.md): a month loaded for the first time
    replaced nothing; loaded again, it replaced the rows of the earlier load."""
    ingest.load(con, landing, ["2019-01"])
    ingest.load(con, landing, MONTHS)
    rows = con.execute(f"select change_id, delivery_month, bool_and(replaced) from "
                       f"{ingest.CHANGED_MONTHS_TABLE} where table_key = 'lpr2__t_adm' "
                       "group by all order by all").fetchall()
    assert rows == [(1, "2019-01", False), (2, "2019-01", True), (2, "2019-02", False)]


def test_broken_file_names_file_row_column_and_keeps_old_rows(landing, con):
    ingest.load(con, landing, MONTHS)
    before = counts(con)
    _break(landing / "2019-02/lpr3/kontakter.csv", 5, "dato_slut", "2019-02-30")
    with pytest.raises(ingest.ContractError) as err:
        ingest.load(con, landing, MONTHS)
    e = err.value
    assert (e.file, e.row, e.column) == ("2019-02/lpr3/kontakter.csv", 5, "dato_slut")
    assert str(e).startswith("2019-02/lpr3/kontakter.csv, row 5 (line 6), column dato_slut:")
    assert counts(con) == before  # 2019-01 was not replaced either: all or nothing


def test_a_load_leaves_no_staged_copy_whatever_its_outcome(landing, tmp_path):
    """Staged rows are Parquet files in a scratch folder under DuckDB's temp directory
    (docs/incremental-refresh.md, "Loading"): gone after a load that commits and after one
    that is refused, with no temp table left in the connection."""
    temp = tmp_path / "spill"
    con = duckdb.connect(str(tmp_path / "s.duckdb"), config={"temp_directory": str(temp)})
    seen: list[str] = []

    def gate(c, views):  # the incoming rows are read from the staged files
        seen.extend(p.name for p in temp.glob("gop-ingest-*/*.parquet"))
        return True

    ingest.load(con, landing, ["2019-01"], gate=gate)
    delivered = sorted(p.name for p in (landing / "2019-01").rglob("*.csv"))
    assert len(seen) == len(delivered) > 0 and all(n.startswith("_stage_") for n in seen)
    assert list(temp.iterdir()) == []
    _break(landing / "2019-02/lpr3/kontakter.csv", 5, "dato_slut", "2019-02-30")
    with pytest.raises(ingest.ContractError):
        ingest.load(con, landing, MONTHS)
    assert list(temp.iterdir()) == []
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    assert con.execute("select count(*) from duckdb_views() where temporary "
                       "and not internal").fetchone() == (0,)
    con.close()


def test_error_never_quotes_a_person_key(landing, con):
    path = landing / "2019-01/lpr2/t_adm.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        data = list(csv.reader(fh))
    key = data[3][1]
    data[3][3] = "03-01-2019"  # d_inddto in the wrong format
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(data)
    with pytest.raises(ingest.ContractError) as err:
        ingest.load(con, landing, ["2019-01"])
    assert err.value.column == "d_inddto" and err.value.row == 3
    assert key not in str(err.value)


@pytest.mark.parametrize("damage, column, row", [
    ("missing_column", "c_afd", 0),
    ("extra_column", "c_extra", 0),
    ("truncated", "d_inddto", 4),
    ("latin1", "c_sgh", 2),
    ("empty_file", None, 0),
])
def test_unreadable_files(landing, con, damage, column, row):
    path = landing / "2019-01/lpr2/t_adm.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if damage == "missing_column":
        path.write_text("\n".join(",".join(x.split(",")[:-1]) for x in lines) + "\n")
    elif damage == "extra_column":
        path.write_text("\n".join([lines[0] + ',"c_extra"'] + [x + ",1" for x in lines[1:]]))
    elif damage == "truncated":
        path.write_text("\n".join(lines[:4] + [",".join(lines[4].split(",")[:3])]))
    elif damage == "latin1":
        parts = lines[2].split(",")
        parts[6] = '"Brøndby"'
        lines[2] = ",".join(parts)
        path.write_bytes("\n".join(lines).encode("latin-1"))
    elif damage == "empty_file":
        path.write_text("")
    with pytest.raises(ingest.ContractError) as err:
        ingest.load(con, landing, ["2019-01"])
    assert err.value.file == "2019-01/lpr2/t_adm.csv"
    assert (err.value.column, err.value.row) == (column, row)


def test_parquet_loads_like_csv(tmp_path, con):
    write_extract(tmp_path / "p", scale=0.001, seed=3, first_month="2019-02",
                  last_month="2019-02", file_format="parquet")
    write_extract(tmp_path / "c", scale=0.001, seed=3, first_month="2019-02",
                  last_month="2019-02")
    ingest.load(con, tmp_path / "p", ["2019-02"])
    parquet = con.execute("select * exclude (_source_file, _loaded_at) from raw.lpr3__kontakter "
                          "order by _source_row").fetchall()
    ingest.load(con, tmp_path / "c", ["2019-02"])
    csv_rows = con.execute("select * exclude (_source_file, _loaded_at) from "
                           "raw.lpr3__kontakter order by _source_row").fetchall()
    assert parquet == csv_rows and parquet


def test_missing_month_folder(landing, con):
    with pytest.raises(ingest.DeliveryNotFound):
        ingest.load(con, landing, ["2020-01"])


def test_contiguous_ranges():
    assert contiguous_ranges(["2019-02", "2018-12", "2019-01", "2019-04"]) == [
        ("2018-12", "2019-02"), ("2019-04", "2019-04")]
