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
