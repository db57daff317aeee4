"""The published table 1 as files: the long CSV of docs/extract-contract.md and a workbook laid out
like seed 000's table, with the rules applied and the disclosure audit in its note."""

import re
from pathlib import Path

from orchestration.core.disclosure import COMPLEMENTARY, NATIONAL, TOTAL, Cell
from orchestration.core.export_files import atomic_path
from orchestration.core.plan_types import plan_types

TOTAL_LABEL = "1) I alt"  # seed 000's first row of every area


def row_labels() -> dict[str, str]:
    """Row type -> seed 000's label, in seed 000's order: "I alt", then the plan types."""
    return {TOTAL: TOTAL_LABEL} | {t.code: t.table1_label for t in plan_types()}


def _type_name(row_type: str) -> str:
    return "i alt" if row_type == TOTAL else next(
        t.name_da for t in plan_types() if t.code == row_type)


def write_csv(path: Path, areas: list[tuple[str, str]], years: list[int],
              values: dict[Cell, str]) -> int:
    """table1_persons_by_municipality.csv: every area x row_type x year once."""
    import csv

    rows = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["area_code", "area_name", "row_type", "year", "value"])
        for code, name in areas:
            for row_type in row_labels():
                for year in years:
                    out.writerow([code, name, row_type, year, values[Cell(code, row_type, year)]])
                    rows += 1
    return rows


def note_text(years: list[int], audit: list[Cell], hidden: list[Cell],
              names: dict[str, str], complementary: bool) -> list[str]:
    def cell_name(c: Cell) -> str:
        return f"{names[c.area_code]} {c.year} ({_type_name(c.row_type)})"

    lines = [
        # No date of computing: the same landing gives the same file, byte for byte (the
        # run's time is in Dagster's record of the materialisation).
        "Kilde: Landspatientregisteret (LPR2 og LPR3), beregnet efter "
        "Sundhedsdatastyrelsens metode.",
        "Note: Opgørelsen er lavet på baggrund af procedurekoder og forløbsmarkører for "
        "genoptræning i LPR. Der medregnes kun én genoptræningsplan/startkode pr. 14. dag pr. "
        "person og type.",
        "Almen genoptræning: ZZ0175X og ZZ0175X1-X4. Rehabilitering på specialiseret niveau: "
        "ZZ0175V. Specialiseret genoptræning: ZZ0175Y, suppleret med personer med en startkode "
        "(AWG1) og en stopkode (AWX21), når personen ikke har en genoptræningsplan (en af de "
        "otte gyldige koder, også ZZ0175) fra 14 dage før til 60 dage efter start. Koderne "
        "følger SKS' officielle betydning; noten under Sundhedsdatastyrelsens offentliggjorte "
        "tabel ombytter V og Y. Den rene overkode ZZ0175 har ingen type og tælles ikke.",
        "Personerne er fordelt på bopælskommune på registreringsdatoen; kun personer med dansk "
        "bopæl. En person, der flytter, tælles i begge kommuner, men én gang for hele landet.",
        "Der er diskretioneret (<5), hvis der er 1-4 personer. I alt er summen af de tre "
        "typer (ikke unikke personer på tværs af typer), rundet ned til nærmeste 5, undtagen "
        "for hele landet, som vises uden afrunding. Tomt felt: ingen personer.",
    ]
    if complementary:
        lines.append(
            f"Sekundær diskretionering: {len(hidden)} yderligere celler er skjult (vist som "
            f"'{COMPLEMENTARY}', 5 eller flere personer), så ingen <5-celle kan genberegnes "
            "ved differencer mellem offentliggjorte tal.")
    if audit:
        lines.append(
            f"Diskretioneringsrevision: {len(audit)} celler med <5 kan genberegnes eksakt ved "
            "differencer (hele landet minus de øvrige kommuner, eller grænserne for I alt): "
            + "; ".join(cell_name(c) for c in audit) + ".")
    else:
        lines.append("Diskretioneringsrevision: ingen <5-celle kan genberegnes eksakt ved "
                     "differencer mellem de offentliggjorte tal.")
    return lines


# Excel's built-in thousands format: a Danish Excel shows 1.599, an English one 1,599.
THOUSANDS = "#,##0"


def cell_value(value: str) -> int | str | None:
    """A published value as a workbook cell: a count as a number (so a column can be summed),
    `<5` and `x` as the text they are published as, an empty cell empty."""
    if value.isdigit():
        return int(value)
    return value or None


def write_workbook(path: Path, areas: list[tuple[str, str]], years: list[int],
                   values: dict[Cell, str], note: list[str]) -> None:
    """Sheet "Tabel 1" laid out like seed 000 (an area's name on its first row, the four row
    types under it, a column per year), counts as numbers in a thousands format, the header
    frozen; sheet "Note" holds the note and the disclosure audit."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Tabel 1"
    ws.append([f"Tabel 1. Antal unikke personer, der har fået udarbejdet en genoptræningsplan "
               f"jf. sundhedsloven §140, {years[0]}-{years[-1]}"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(["Se arket Note for regler og diskretionering."])
    ws.append(["Kommune", "Type", *years])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    right = Alignment(horizontal="right")
    for code, name in areas:
        for i, (row_type, label) in enumerate(row_labels().items()):
            ws.append([name if i == 0 else None, label,
                       *(cell_value(values[Cell(code, row_type, y)]) for y in years)])
            if i == 0:
                ws.cell(ws.max_row, 1).font = Font(bold=True)
            for col in range(3, 3 + len(years)):
                cell = ws.cell(ws.max_row, col)
                cell.number_format = THOUSANDS
                cell.alignment = right  # '<5' and 'x' line up with the numbers
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 42
    for col in range(3, 3 + len(years)):
        ws.column_dimensions[get_column_letter(col)].width = 10
    ws.freeze_panes = "C4"  # the title, the header and the two label columns stay in view

    notes = wb.create_sheet("Note")
    notes.column_dimensions["A"].width = 120
    for line in note:
        notes.append([line])
        notes.cell(notes.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    with atomic_path(path) as tmp:
        wb.save(tmp)
        reproducible_xlsx(tmp)


# An .xlsx is a zip whose entries and document properties carry the time of writing: the same
# landing must give the same bytes (an export is compared byte for byte with a rebuild), so
# both are set to one fixed instant. Excel shows it as the document's creation date.
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def reproducible_xlsx(path: Path) -> None:
    """Rewrite an .xlsx so that its bytes depend on its content only."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)


def national_first(areas: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """Hele landet first, then seed 000's order of the 99 areas."""
    ordered = sorted(areas, key=lambda a: (a[1] != NATIONAL, a[0]))
    return [(code, name) for _, code, name in ordered]
