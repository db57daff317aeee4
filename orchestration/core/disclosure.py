"""Disclosure audit and complementary suppression of the published table
(docs/method.md, "Disclosure control"; docs/operations.md, "Configuration").

Works on the *published* cells only (what a reader of the table sees), never on the true
counts, so nothing here can leak an unsuppressed count.

The audit asks what a reader can work out by differencing: every municipal type cell is an
unknown in an interval (`<5`: 1-4; a complementary-suppressed `x`: 5 or more; a number or an
empty cell: exactly that), and two kinds of published sums bind them:
- per type and year, the municipal cells add up to the exact national row ("Hele landet");
- per municipality and year, the three type cells add up to something that rounds down to
  the published "I alt" (a number P: P..P+4; `<5`: 1..4; empty: 0).
Bounds are tightened over these sums until nothing changes (interval propagation); a
suppressed cell whose interval shrinks to one value is recoverable. This finds every cell
recoverable by differencing; deeper integer reasoning could pin a few more, which is why the
complementary suppression below re-audits after every cell it hides.

Seed 000 itself has such cells: in almen 2016 a single municipal cell is `<5` and the
national figure minus the other municipalities says it is 3.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TOTAL = "i_alt"  # a municipality's "I alt" row; every other row type is a plan type
SUPPRESSED = "<5"
COMPLEMENTARY = "x"  # complementary suppression: a value of 5 or more, not shown
NATIONAL = "000"
MAX_PASSES = 200


@dataclass(frozen=True, order=True)
class Cell:
    area_code: str
    row_type: str
    year: int


def _interval(value: str, upper: int) -> tuple[int, int]:
    if value == "":
        return 0, 0
    if value == SUPPRESSED:
        return 1, 4
    if value == COMPLEMENTARY:
        return 5, upper
    return int(value), int(value)


def _total_bounds(value: str) -> tuple[int, int]:
    """What the municipal "I alt" says about the sum of its three type cells."""
    if value == "":
        return 0, 0
    if value == SUPPRESSED:
        return 1, 4
    if value == COMPLEMENTARY:
        return 0, 10**9
    return int(value), int(value) + 4  # rounded down to a multiple of 5


def recoverable(published: Mapping[Cell, str]) -> list[Cell]:
    """Suppressed municipal type cells whose exact value follows from the published ones."""
    found: list[Cell] = []
    by_year: dict[int, dict[Cell, str]] = defaultdict(dict)
    for cell, value in published.items():
        by_year[cell.year][cell] = value
    for cells in by_year.values():
        found += _recoverable_in_year(cells)
    return sorted(found)


def _recoverable_in_year(cells: Mapping[Cell, str]) -> list[Cell]:
    national = {c.row_type: cells[c] for c in cells if c.area_code == NATIONAL}
    column_total = {t: int(v) if v not in ("", SUPPRESSED, COMPLEMENTARY) else 0
                    for t, v in national.items()}
    bounds: dict[Cell, list[int]] = {}
    for c, v in cells.items():
        if c.area_code != NATIONAL and c.row_type != TOTAL:
            bounds[c] = list(_interval(v, column_total.get(c.row_type, 10**9)))
    constraints: list[tuple[list[Cell], int, int]] = []
    columns: dict[str, list[Cell]] = defaultdict(list)
    rows: dict[str, list[Cell]] = defaultdict(list)
    for c in bounds:
        columns[c.row_type].append(c)
        rows[c.area_code].append(c)
    for t, members in columns.items():
        if t in national:
            constraints.append((members, column_total[t], column_total[t]))
    year = next(iter(cells)).year
    for area, members in rows.items():
        total = cells.get(Cell(area, TOTAL, year))
        if total is not None:
            lo, hi = _total_bounds(total)
            constraints.append((members, lo, hi))
    # A reader assumes the municipal cells add up to the national row; real data need not
    # (seed 000's national row exceeds its municipal cells in three type-years). A sum that
    # cannot hold moves no bound, and the passes are capped, so the audit always ends.
    changed, passes = True, 0
    while changed and passes < MAX_PASSES:
        changed, passes = False, passes + 1
        for members, lo, hi in constraints:
            sum_lo = sum(bounds[m][0] for m in members)
            sum_hi = sum(bounds[m][1] for m in members)
            for m in members:
                b = bounds[m]
                new_lo = max(b[0], lo - (sum_hi - b[1]))
                new_hi = min(b[1], hi - (sum_lo - b[0]))
                if new_lo > new_hi:
                    continue  # this sum cannot hold: it says nothing about this cell
                if (new_lo, new_hi) != (b[0], b[1]):
                    sum_lo += new_lo - b[0]
                    sum_hi += new_hi - b[1]
                    b[0], b[1] = new_lo, new_hi
                    changed = True
    return [c for c, b in bounds.items() if cells[c] == SUPPRESSED and b[0] == b[1]]


def complementary_suppression(published: Mapping[Cell, str]) -> tuple[dict[Cell, str],
                                                                         list[Cell]]:
    """Hide further municipal cells (as `x`) until no `<5` cell is recoverable.

    Greedy and one year at a time: for the first recoverable cell it hides the smallest
    published number in the same type column, else in the same municipality, that leaves
    that cell unrecoverable, and audits again. Smallest first, because a small cell carries
    the least of the table's information. Greedy does not prove the fewest cells, but it
    hides one at a time and stops as soon as the audit is clean (or, in a tiny table, when
    no shown cell is left; the audit then still lists what can be recovered).
    """
    values = dict(published)
    hidden: list[Cell] = []
    years = sorted({c.year for c in values})
    for year in years:
        year_cells = {c: v for c, v in values.items() if c.year == year}
        while True:
            rec = _recoverable_in_year(year_cells)
            if not rec:
                break
            target = min(rec)
            shown = [(int(v), c) for c, v in year_cells.items()
                     if c.area_code != NATIONAL and c.row_type != TOTAL and v.isdigit()]
            candidates = sorted(
                (v, c) for v, c in shown
                if c.row_type == target.row_type or c.area_code == target.area_code
            ) or sorted(shown)
            if not candidates:
                break  # nothing left to hide: the audit reports what stays recoverable
            chosen = None
            for _, cand in candidates:
                trial = {**year_cells, cand: COMPLEMENTARY}
                if target not in _recoverable_in_year(trial):
                    chosen = cand
                    break
            if chosen is None:  # no single cell breaks it: hide the smallest and go on
                chosen = candidates[0][1]
            year_cells[chosen] = COMPLEMENTARY
            hidden.append(chosen)
        values.update(year_cells)
    return values, sorted(hidden)


def published_from_rows(rows: Iterable[tuple[str, str, int, str]]) -> dict[Cell, str]:
    return {Cell(a, t, int(y)): v for a, t, y, v in rows}
