"""Targets for the generator: SDS's published table (seed 000) and the municipalities.

Both files are dbt seeds of this repository (`dbt_project/seeds/reference/`), so the
generator and the models read the same numbers.
"""

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.core.plan_types import plan_type_codes

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "reference"
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
    types = plan_type_codes()  # the type axis, in the seed plan_types' order
    out = np.zeros((len(munis), len(types), len(years)), dtype=np.int64)
    for mi, m in enumerate(munis):
        for ti, t in enumerate(types):
            for yi, y in enumerate(years):
                seed_year = min(max(y, SEED_YEARS[0]), SEED_YEARS[-1])
                v = table.get((m.code, t, seed_year), "")
                if v == "<5":
                    out[mi, ti, yi] = rng.integers(1, 5)
                elif v:
                    out[mi, ti, yi] = int(v)
    return out


def calibrated_counts(
    munis: list[Municipality], years: list[int], rng: np.random.Generator,
    max_steps: int = 20000,
) -> np.ndarray:
    """True counts [muni, type, year] whose published table is seed 000's, cell for cell.

    Exact cells are taken as published. Each `<5` is drawn from 1-4 so that the
    municipality's "I alt" rounds down to the published one (docs/method.md: I alt =
    floor5(sum of types); '<5' when 1-4). When every area of the seed is generated, the
    draws are also searched (local search) so that each type's municipal cells add up to the
    national row; seed 000's national row exceeds what its municipal cells can add up to by
    one person in two type-years, which stay one short.
    """
    table = published_table()
    all_areas = {code for code, _, _ in table} - {"000"}
    full = {m.code for m in munis} == all_areas
    types = plan_type_codes()  # the type axis, in the seed plan_types' order
    out = np.zeros((len(munis), len(types), len(years)), dtype=np.int64)
    for yi, year in enumerate(years):
        seed_year = min(max(year, SEED_YEARS[0]), SEED_YEARS[-1])
        rows: list[tuple[int, list[int], list[tuple[int, ...]]]] = []
        for mi, m in enumerate(munis):
            unknown = []
            for ti, t in enumerate(types):
                v = table.get((m.code, t, seed_year), "")
                if v == "<5":
                    unknown.append(ti)
                else:
                    out[mi, ti, yi] = int(v) if v else 0
            if not unknown:
                continue
            total = table.get((m.code, "i_alt", seed_year), "")
            lo, hi = ((0, 0) if total == "" else (1, 4) if total == "<5"
                      else (int(total), int(total) + 4))
            fixed = int(out[mi, :, yi].sum())
            combos = [c for c in itertools.product(range(1, 5), repeat=len(unknown))
                      if lo <= fixed + sum(c) <= hi]
            if not combos:
                raise ValueError(f"seed 000 is inconsistent for {m.name} {seed_year}")
            rows.append((mi, unknown, combos))
        choice = [combos[rng.integers(len(combos))] for _, _, combos in rows]
        if full and rows:
            target = np.array([int(table[("000", t, seed_year)]) for t in types])
            target -= out[:, :, yi].sum(axis=0)

            d = _deficit(target, rows, choice)
            for _ in range(max_steps):
                if not d.any():
                    break
                r = int(rng.integers(len(rows)))
                _, unknown, combos = rows[r]
                base = d.copy()
                for ti, n in zip(unknown, choice[r], strict=True):
                    base[ti] += n
                scores = []
                for c in combos:
                    after = base.copy()
                    for ti, n in zip(unknown, c, strict=True):
                        after[ti] -= n
                    scores.append(int(np.abs(after).sum()))
                best = min(scores)
                pick = rng.choice([i for i, s in enumerate(scores) if s == best])
                if best <= int(np.abs(d).sum()):
                    choice[r] = combos[pick]
                    d = _deficit(target, rows, choice)
        for (mi, unknown, _), c in zip(rows, choice, strict=True):
            for ti, n in zip(unknown, c, strict=True):
                out[mi, ti, yi] = n
    return out


def _deficit(target: np.ndarray, rows: list, picks: list) -> np.ndarray:
    """National target per type minus what the chosen `<5` draws add up to."""
    got = np.zeros(len(target), dtype=np.int64)
    for (_, unknown, _), c in zip(rows, picks, strict=True):
        for ti, v in zip(unknown, c, strict=True):
            got[ti] += v
    return target - got
