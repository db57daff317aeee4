"""The table-1 workbook: the same table gives the same bytes, whenever it is written."""

import datetime as dt
import zipfile

import pytest

from orchestration.core import publication
from orchestration.core.disclosure import Cell

pytestmark = pytest.mark.unit

AREAS = [("000", "Hele landet"), ("101", "København")]
YEARS = [2019, 2020]


def _write(path):
    values = {Cell(a, r, y): "12" for a, _ in AREAS for r in publication.row_labels()
              for y in YEARS}
    note = publication.note_text(YEARS, [], [], dict(AREAS), complementary=False)
    publication.write_workbook(path, AREAS, YEARS, values, note)
    return path.read_bytes()


def test_the_workbook_is_the_same_bytes_at_another_time(tmp_path, monkeypatch):
    first = _write(tmp_path / "a.xlsx")

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2031, 7, 9, 13, 45, 7, tzinfo=tz)

        @classmethod
        def utcnow(cls):
            return dt.datetime(2031, 7, 9, 13, 45, 7)

    import openpyxl.packaging.core as core
    import openpyxl.workbook.workbook as workbook

    monkeypatch.setattr(core.datetime, "datetime", Later, raising=False)
    monkeypatch.setattr(workbook, "datetime", Later, raising=False)
    monkeypatch.setattr("time.time", lambda: 1941457507.0)  # zip entry times come from here
    second = _write(tmp_path / "b.xlsx")
    assert first == second
    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {publication.FIXED_TIME}
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")


def test_the_workbook_holds_numbers_people_can_compute_with(tmp_path):
    """Counts are numbers with a thousands format (a column can be summed), '<5', 'x' and
    empty cells are as published, the header is frozen, and the note has its own sheet."""
    from openpyxl import load_workbook

    published = {"000": ["159263", "1599", "12", "7"], "101": ["1595", "<5", "", "x"]}
    values = {Cell(a, r, y): published[a][i] for a, _ in AREAS
              for i, r in enumerate(publication.row_labels()) for y in YEARS}
    note = publication.note_text(YEARS, [], [], dict(AREAS), complementary=False)
    publication.write_workbook(tmp_path / "t.xlsx", AREAS, YEARS, values, note)

    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["Tabel 1", "Note"]
    sheet = book["Tabel 1"]
    assert [c.value for c in sheet[3]] == ["Kommune", "Type", 2019, 2020]
    assert sheet.freeze_panes == "C4"
    national = [sheet.cell(4 + i, 3) for i in range(4)]
    assert [c.value for c in national] == [159263, 1599, 12, 7]
    assert all(c.data_type == "n" and c.number_format == publication.THOUSANDS
               for c in national)
    municipal = [sheet.cell(8 + i, 4).value for i in range(4)]
    assert municipal == [1595, "<5", None, "x"]
    assert sheet.cell(9, 4).data_type == "s"  # '<5' stays text: never a number
    assert sum(sheet.cell(4 + i, 4).value for i in (1, 2, 3)) == 1599 + 12 + 7
    assert sheet.column_dimensions["C"].width >= 8
    note_lines = [r[0] for r in book["Note"].iter_rows(values_only=True)]
    assert note_lines == note
