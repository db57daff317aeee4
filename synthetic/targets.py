"""Targets for the generator: SDS's published table (seed 000) and the municipalities.

Both files are dbt seeds of this repository (`dbt_project/seeds/reference/`), so the
generator and the models read the same numbers.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "reference"
PLAN_TYPES = ("almen", "specialiseret", "rehab_spec")
SEED_YEARS = tuple(range(2016, 2022))  # the years of seed 000's table


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    region: str


def municipalities() -> list[Municipality]:
    with open(REFERENCE_DIR / "municipalities.csv", encoding="utf-8") as fh:
        return [
            Municipality(r["kommunekode"], r["kommunenavn"], r["regionskode"])
            for r in csv.DictReader(fh)
        ]


def published_table() -> dict[tuple[str, str, int], str]:
    """(area_code, row_type, year) -> the published cell ('', '<5' or digits)."""
    with open(REFERENCE_DIR / "seed000_published_table.csv", encoding="utf-8") as fh:
        return {
            (r["area_code"], r["row_type"], int(r["year"])): r["published_value"]
            for r in csv.DictReader(fh)
        }


def cell_counts(
    munis: list[Municipality], years: list[int], rng: np.random.Generator
) -> np.ndarray:
    """True person counts [muni, type, year] following seed 000.

    Years outside 2016-2021 borrow the nearest seed year. A published `<5` becomes a
    draw from 1-4 (seed 000's note: `<5` means 1-4 plans), an empty cell 0.
    """
    table = published_table()
    out = np.zeros((len(munis), len(PLAN_TYPES), len(years)), dtype=np.int64)
    for mi, m in enumerate(munis):
        for ti, t in enumerate(PLAN_TYPES):
            for yi, y in enumerate(years):
                seed_year = min(max(y, SEED_YEARS[0]), SEED_YEARS[-1])
                v = table.get((m.code, t, seed_year), "")
                if v == "<5":
                    out[mi, ti, yi] = rng.integers(1, 5)
                elif v:
                    out[mi, ti, yi] = int(v)
    return out
