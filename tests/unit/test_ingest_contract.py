"""The contract's rules on a delivery (docs/extract-contract.md, "CSV format"), on files written by
hand here, not by the generator: every case a few rows, loaded by `ingest.load` directly.

Each case is one thing the contract allows (it loads) or refuses (a `ContractError` that
names the file, the row and the column, with nothing written)."""

from pathlib import Path

import duckdb
import pytest

from orchestration.core import ingest

pytestmark = pytest.mark.unit

ADM = "k_recnum,v_cpr_encrypted,c_pattype,d_inddto,d_uddto,v_indtime,c_sgh,c_afd"
KONTAKT = ("dw_ek_kontakt,dw_ek_forloeb,cpr_encrypted,dato_start,tidspunkt_start,dato_slut,"
           "tidspunkt_slut,kontakttype,prioritet,sorenhed_ans")
GGOP = "brev_id,cpr_encrypted,afsendt_tidspunkt,afsender_sor,modtager_kommunekode,plantype"
DGOP = ("k_brevid,v_cpr_encrypted,d_afsendt,v_afsendt_tid,c_afsender,c_modtager_kom,"
        "c_goptype")


def deliver(landing: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)


def adm(*rows: str) -> str:
    return "\n".join([ADM, *rows]) + "\n"


GOOD = "r-1,p-1,0,2019-01-03,2019-01-09,10,1301,011"


@pytest.fixture()
def landing(tmp_path) -> Path:
    return tmp_path / "landing"


@pytest.fixture()
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def refused(con, landing, months, expected: str) -> ingest.ContractError:
    with pytest.raises(ingest.ContractError) as info:
        ingest.load(con, landing, months)
    assert expected in str(info.value), str(info.value)
    return info.value


def raw_rows(con, table: str = "lpr2__t_adm") -> int:
    ingest.ensure_raw_schema(con)
    return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


# --- keys are opaque strings ------------------------------------------------------------------
def test_keys_of_any_shape_load(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(
        GOOD, "0000123,PERSON:Ab-9,1,2019-01-04,,,1301,011",
        "x,é-ø-person,2,2019-01-05,2019-01-05,23,1301,011")})
    ingest.load(con, landing, ["2019-01"])
    assert raw_rows(con) == 3
    assert con.execute("select k_recnum from raw.lpr2__t_adm where v_cpr_encrypted = "
                       "'PERSON:Ab-9'").fetchone() == ("0000123",)


def test_a_key_with_a_leading_space_is_refused_without_quoting_it(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD, "r-2, p-2,0,2019-01-03,,1,1301,011")})
    err = refused(con, landing, ["2019-01"], "row 2 (line 3), column v_cpr_encrypted: value "
                  "is a key with leading or trailing spaces")
    assert "p-2" not in str(err)


# --- a table's own key is unique across all months ---------------------------------------------
def test_a_key_twice_in_a_month_is_refused_naming_both_rows(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD, "r-2,p-2,0,2019-01-03,,1,1301,011",
                                                    "r-1,p-3,0,2019-01-04,,1,1301,011")})
    refused(con, landing, ["2019-01"], "2019-01/lpr2/t_adm.csv, row 3 (line 4), column "
            "k_recnum: the same key as 2019-01/lpr2/t_adm.csv row 1")
    assert raw_rows(con) == 0


def test_a_key_of_a_loaded_month_is_refused_in_another_but_a_redelivery_replaces_it(
        landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD),
                      "2019-02/lpr2/t_adm.csv": adm("r-1,p-9,0,2019-02-03,,1,1301,011")})
    ingest.load(con, landing, ["2019-01"])
    ingest.load(con, landing, ["2019-01"])  # the same month again: its own rows are replaced
    refused(con, landing, ["2019-02"], "2019-02/lpr2/t_adm.csv, row 1 (line 2), column "
            "k_recnum: the same key as 2019-01/lpr2/t_adm.csv row 1")
    assert raw_rows(con) == 1


def test_plan_ids_are_unique_across_both_gop_tables(landing, con):
    deliver(landing, {
        "2016-05/gop/t_dgop.csv": f"{DGOP}\nb-1,p-1,2016-05-02,10:00,1301011,101,1\n",
        "2016-05/gop/t_ggop.csv": f"{GGOP}\nb-1,p-2,2016-05-20T10:00:00,SOR1,101,ALM\n"})
    refused(con, landing, ["2016-05"], "2016-05/gop/t_ggop.csv, row 1 (line 2), column "
            "brev_id: the same key as 2016-05/gop/t_dgop.csv row 1")


def test_a_missing_own_key_is_refused(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD, ",p-2,0,2019-01-03,,1,1301,011")})
    refused(con, landing, ["2019-01"], "row 2 (line 3), column k_recnum: the table's own key "
            "is missing")


# --- times: 24:00 is the end of the day -------------------------------------------------------
def kontakt(start_time: str, end_time: str) -> str:
    return (f"{KONTAKT}\nk-1,f-1,p-1,2019-01-31,{start_time},2019-01-31,{end_time},ALCA00,"
            "ATA1,SOR1\n")


def test_24_00_loads_as_the_end_of_the_day(landing, con):
    deliver(landing, {"2019-01/lpr3/kontakter.csv": kontakt("08:00", "24:00"),
                      "2019-01/gop/t_ggop.csv": f"{GGOP}\nb-1,p-1,2019-01-31T24:00:00,SOR1,"
                                                "101,ALM\n"})
    ingest.load(con, landing, ["2019-01"])
    ended = con.execute("select dato_slut + tidspunkt_slut from raw.lpr3__kontakter").fetchone()
    sent = con.execute("select afsendt_tidspunkt from raw.gop__t_ggop").fetchone()
    assert str(ended[0]) == str(sent[0]) == "2019-02-01 00:00:00"


@pytest.mark.parametrize("time", ["24:30", "23:60", "25:00", "7:30"])
def test_other_hours_above_23_or_minutes_above_59_are_not_times(landing, con, time):
    deliver(landing, {"2019-01/lpr3/kontakter.csv": kontakt(time, "10:00")})
    refused(con, landing, ["2019-01"], f"row 1 (line 2), column tidspunkt_start: value "
            f"'{time}' is not a time HH:MM")


# --- the contract's ranges, lengths and bytes ------------------------------------------------
@pytest.mark.parametrize(("row", "column", "problem"), [
    ("r-2,p-2,0,2019-01-03,,24,1301,011", "v_indtime", "'24' is outside the contract's range"),
    ("r-2,p-2,0,2019-01-03,,-1,1301,011", "v_indtime", "'-1' is outside the contract's range"),
    ("r-2,p-2,0,2019-01-03,,1,1301," + "x" * 100, "c_afd", "is not 3 characters long"),
    ("r-2,p-2,0,2019-01-03,,1,130,011", "c_sgh", "'130' is not 4 characters long"),
    ("r-2,p-2,0,2019-01-03,,1,13\x0001,011", "c_sgh", "holds a NUL byte"),
])
def test_a_value_outside_the_contract_is_refused(landing, con, row, column, problem):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD, row)})
    refused(con, landing, ["2019-01"], f"row 2 (line 3), column {column}: value")
    refused(con, landing, ["2019-01"], problem)
    assert raw_rows(con) == 0


# --- messages that say what is wrong ----------------------------------------------------------
def test_a_semicolon_separated_file_is_named_as_such(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD).replace(",", ";")})
    refused(con, landing, ["2019-01"], "2019-01/lpr2/t_adm.csv, header row: the header is one "
            "field separated by ';': the contract's separator is ','")


def test_upper_case_header_names_are_named_as_such(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD).replace(ADM, ADM.upper())})
    refused(con, landing, ["2019-01"], "header row: the header names are not in the "
            "contract's lower case (K_RECNUM")


# --- CSV as the registers' export tools write it ----------------------------------------------
def test_bom_crlf_and_quoted_fields_are_the_same_data(landing, con, tmp_path):
    text = adm(GOOD, '"r,2","p ""q""\nx",1,2019-01-04,,,1301,011')
    deliver(landing, {"2019-01/lpr2/t_adm.csv": b"\xef\xbb\xbf" + text.replace(
        "\n", "\r\n").encode()})
    ingest.load(con, landing, ["2019-01"])
    keys = con.execute("select k_recnum, v_cpr_encrypted from raw.lpr2__t_adm order by "
                       "_source_row").fetchall()
    assert keys == [("r-1", "p-1"), ("r,2", 'p "q"\r\nx')]


def test_a_header_only_file_is_a_month_without_rows(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": ADM + "\r\n"})
    loaded = ingest.load(con, landing, ["2019-01"])
    assert [f.rows for f in loaded if f.table == "lpr2__t_adm"] == [0]


# --- month folders, markers and checksums -----------------------------------------------------
@pytest.mark.parametrize("name", ["2019-2", "2019-13", "201901", "backup"])
def test_a_folder_that_is_no_month_is_an_error_naming_it(landing, name):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD), f"{name}/lpr2/t_adm.csv": adm(GOOD)})
    with pytest.raises(ingest.ContractError, match=f"^{name}/: a folder that is no delivery"):
        ingest.delivery_months(landing)


def test_hidden_entries_and_markers_at_the_top_are_passed_over(landing):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD), ".snapshot/x": "x",
                      "_SUCCESS": "", "cpr/t_adresse.csv": "x"})
    assert ingest.delivery_months(landing) == ["2019-01"]


def test_transfer_markers_and_matching_checksums_load(landing, con):
    import hashlib

    data = adm(GOOD).encode()
    deliver(landing, {"2019-01/lpr2/t_adm.csv": data, "2019-01/_SUCCESS": "",
                      "2019-01/lpr2/_SUCCESS": "",
                      "2019-01/lpr2/t_adm.csv.md5": f"{hashlib.md5(data).hexdigest()}  "
                                                    "t_adm.csv\n",
                      "2019-01/lpr2/t_adm.csv.sha256": hashlib.sha256(data).hexdigest().upper()})
    ingest.load(con, landing, ["2019-01"])
    assert raw_rows(con) == 1


def test_a_checksum_that_does_not_match_is_a_broken_transfer(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD),
                      "2019-01/lpr2/t_adm.csv.md5": "0" * 32 + "  t_adm.csv\n"})
    refused(con, landing, ["2019-01"], "2019-01/lpr2/t_adm.csv: does not match its checksum "
            "file t_adm.csv.md5 (md5): the transfer is broken")


def test_a_checksum_without_its_table_file_is_refused(landing, con):
    deliver(landing, {"2019-01/lpr2/t_adm.csv": adm(GOOD),
                      "2019-01/lpr2/t_bes.csv.md5": "0" * 32})
    refused(con, landing, ["2019-01"], "2019-01/lpr2/t_bes.csv.md5: a checksum file without "
            "its table file")


# --- Parquet: cast only where nothing is lost -------------------------------------------------
def parquet(landing: Path, rel: str, select: str) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(f"copy ({select}) to '{path}' (format parquet)")


ADM_SELECT = ("select 'r-1' as k_recnum, 'p-1' as v_cpr_encrypted, '0' as c_pattype, "
              "{d_inddto} as d_inddto, null::date as d_uddto, {v_indtime} as v_indtime, "
              "'1301' as c_sgh, {c_afd} as c_afd")


def adm_parquet(landing, d_inddto="date '2019-01-03'", v_indtime="10", c_afd="'011'"):
    parquet(landing, "2019-01/lpr2/t_adm.parquet",
            ADM_SELECT.format(d_inddto=d_inddto, v_indtime=v_indtime, c_afd=c_afd))


@pytest.mark.parametrize(("d_inddto", "v_indtime"), [
    ("date '2019-01-03'", "10"), ("'2019-01-03'", "'10'"), ("timestamp '2019-01-03'", "10.0"),
    ("date '2019-01-03'", "10::bigint")])
def test_parquet_of_the_contracts_types_or_lossless_ones_loads(landing, con, d_inddto,
                                                                v_indtime):
    adm_parquet(landing, d_inddto=d_inddto, v_indtime=v_indtime)
    ingest.load(con, landing, ["2019-01"])
    assert con.execute("select d_inddto::varchar, v_indtime, c_afd from raw.lpr2__t_adm"
                       ).fetchone() == ("2019-01-03", 10, "011")


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"c_afd": "11"}, "2019-01/lpr2/t_adm.parquet, schema, column c_afd: the column is stored "
                      "as INTEGER, the contract says a string (a code or key is a string: a "
                      "number loses its leading zeros"),
    ({"v_indtime": "4.5"}, "2019-01/lpr2/t_adm.parquet, row 1, column v_indtime: value '4.5' is "
                           "not a whole number"),
    ({"d_inddto": "timestamp '2019-01-03 10:00'"}, "row 1, column d_inddto: value"),
    ({"d_inddto": "'03-01-2019'"}, "row 1, column d_inddto: value '03-01-2019' is not a date"),
])
def test_parquet_that_would_lose_something_is_refused_by_row_and_column(landing, con, kwargs,
                                                                         expected):
    adm_parquet(landing, **kwargs)
    err = refused(con, landing, ["2019-01"], expected)
    assert "line" not in str(err)
