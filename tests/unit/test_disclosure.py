"""The disclosure audit finds cells recoverable by differencing; complementary suppression
leaves none."""

import csv

import pytest

from orchestration.core.disclosure import (
    COMPLEMENTARY,
    Cell,
    complementary_suppression,
    published_from_rows,
    recoverable,
)
from orchestration.core.paths import DBT_PROJECT_DIR

pytestmark = pytest.mark.unit


def seed000() -> dict[Cell, str]:
    path = DBT_PROJECT_DIR / "seeds" / "reference" / "seed000_published_table.csv"
    with open(path, encoding="utf-8") as fh:
        return published_from_rows((r["area_code"], r["row_type"], r["year"],
                                    r["published_value"]) for r in csv.DictReader(fh))


def table(cells: dict[tuple[str, str], str], year: int = 2020) -> dict[Cell, str]:
    return {Cell(a, t, year): v for (a, t), v in cells.items()}


def test_a_single_suppressed_cell_in_a_column_is_recovered():
    # National 20 almen; A publishes 12, B '<5', C 5 -> B = 3.
    t = table({("000", "almen"): "20", ("A", "almen"): "12", ("B", "almen"): "<5",
               ("C", "almen"): "5"})
    assert recoverable(t) == [Cell("B", "almen", 2020)]


def test_two_suppressed_cells_protect_each_other_unless_the_sum_pins_them():
    both = table({("000", "almen"): "20", ("A", "almen"): "15", ("B", "almen"): "<5",
                  ("C", "almen"): "<5"})  # B + C = 5: (1,4), (2,3), ... ambiguous
    assert recoverable(both) == []
    pinned = table({("000", "almen"): "17", ("A", "almen"): "15", ("B", "almen"): "<5",
                    ("C", "almen"): "<5"})  # B + C = 2: both must be 1
    assert recoverable(pinned) == [Cell("B", "almen", 2020), Cell("C", "almen", 2020)]


def test_i_alt_bounds_recover_a_cell():
    # Helsingør 2017 in seed 000: 1,702 + 224 + x rounds down to 1,930, so x = 4.
    t = table({("A", "i_alt"): "1930", ("A", "almen"): "1702", ("A", "rehab_spec"): "<5",
               ("A", "specialiseret"): "224"})
    assert recoverable(t) == [Cell("A", "rehab_spec", 2020)]


def test_seed000_own_recoverable_cells():
    found = recoverable(seed000())
    # The example: almen 2016 has one municipal '<5' (Christiansø), national minus
    # the rest says 3.
    assert Cell("411", "almen", 2016) in found
    assert Cell("217", "rehab_spec", 2017) in found  # Helsingør, by its I alt
    assert len(found) == 27


def test_complementary_suppression_leaves_nothing_recoverable():
    published = seed000()
    values, hidden = complementary_suppression(published)
    assert recoverable(values) == []
    assert hidden and all(values[c] == COMPLEMENTARY and published[c].isdigit()
                          for c in hidden)
    assert all(values[c] == v for c, v in published.items() if c not in hidden)
    # National rows and I alt are never hidden.
    assert all(c.area_code != "000" and c.row_type != "i_alt" for c in hidden)


def test_complementary_suppression_hides_the_smallest_cell_that_works():
    t = table({("000", "almen"): "40", ("A", "almen"): "20", ("B", "almen"): "<5",
               ("C", "almen"): "9", ("D", "almen"): "8"})
    values, hidden = complementary_suppression(t)
    assert hidden == [Cell("D", "almen", 2020)]
    assert recoverable(values) == []


def test_an_inconsistent_national_row_does_not_hang_the_audit():
    # The national row cannot be met (a '<5' would have to be 5): no bound moves.
    t = table({("000", "almen"): "20", ("A", "almen"): "15", ("B", "almen"): "<5"})
    assert recoverable(t) == []


def test_complementary_suppression_stops_when_nothing_is_left_to_hide():
    t = table({("000", "almen"): "3", ("B", "almen"): "<5"})
    values, hidden = complementary_suppression(t)
    assert hidden == [] and recoverable(values) == [Cell("B", "almen", 2020)]
