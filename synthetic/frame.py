"""The extract's frame (its months, municipalities, regions and sending units) and the day
and random helpers every draw shares. Days are integers since 1970-01-01, months since
1970-01, times minutes of the day."""

from dataclasses import dataclass
from datetime import date

import numpy as np

from synthetic.knobs import GGOP_SWITCH_FIRST_DAY, LPR3_SWITCH, UNITS_PER_REGION
from synthetic.targets import Municipality, municipalities


def to_day(iso: str) -> int:
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days


def month_bounds(first_month: str, last_month: str) -> tuple[int, int]:
    """First and last day (inclusive) of a month range 'YYYY-MM'."""
    y1, m1 = map(int, last_month.split("-"))
    after = date(y1 + (m1 == 12), m1 % 12 + 1, 1)
    return to_day(first_month + "-01"), (after - date(1970, 1, 1)).days - 1


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of days since 1970-01-01."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def year_of(days: np.ndarray) -> np.ndarray:
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970


def share(rng: np.random.Generator, n: int, p: float, minimum: int = 0) -> np.ndarray:
    """A random boolean mask with ~p*n True, at least `minimum` when n allows."""
    mask = rng.random(n) < p
    short = min(minimum, n) - int(mask.sum())
    if short > 0:
        mask[rng.choice(np.flatnonzero(~mask), short, replace=False)] = True
    return mask


def stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round each value up with the probability of its fraction: sums stay right on average."""
    floor = np.floor(x)
    return (floor + (rng.random(x.shape) < (x - floor))).astype(np.int64)


def rank_within(sorted_groups: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within runs of equal values of an already sorted array."""
    n = len(sorted_groups)
    if n == 0:
        return np.zeros(0, np.int64)
    idx = np.arange(n)
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    return idx - np.maximum.accumulate(np.where(starts, idx, 0))


@dataclass(frozen=True)
class Frame:
    """What every draw reads and none changes: the arguments, the extract's days, its
    municipalities and their regions, and the sending units (UNITS_PER_REGION per region)."""

    seed: int
    scale: float
    calibrate: bool
    d0: int  # the extract's first and last day
    d1: int
    years: list[int]
    munis: list[Municipality]
    muni_region: np.ndarray  # region index of each municipality
    switch_day: np.ndarray  # LPR3's first day, per region index
    unit_ggop_day: np.ndarray  # G-GOP's first day, per unit

    @property
    def n_regions(self) -> int:
        return len(self.switch_day)

    @property
    def n_units(self) -> int:
        return len(self.unit_ggop_day)

    def year_bounds(self, year: int) -> tuple[int, int]:
        """Days of a year in range where a counted registration may fall.

        Kept 14 days clear of the year ends, so that base episodes of the same person
        and type in consecutive years never meet in the 14-day rule (docs/method.md,
        "14-day rule") and the true counts stay those drawn.
        """
        lo = max(self.d0, to_day(f"{year}-01-01") + 14)
        hi = min(self.d1, to_day(f"{year}-12-31") - 14)
        return lo, hi

    def months(self) -> list[int]:
        """The months of the extract (months since 1970-01)."""
        first, last = month_index(np.array([self.d0, self.d1]))
        return list(range(int(first), int(last) + 1))

    def month_days(self, month: int) -> tuple[int, int]:
        """The first and last day of `month` inside the extract."""
        first, last = month_bounds(*[str(np.datetime64(month, "M"))] * 2)
        return max(self.d0, first), min(self.d1, last)


def draw_frame(rng: np.random.Generator, scale: float, seed: int, first_month: str,
               last_month: str, calibrate: bool,
               municipality_codes: list[str] | None) -> Frame:
    munis = municipalities()
    if municipality_codes:
        unknown = set(municipality_codes) - {m.code for m in munis}
        if unknown:
            raise ValueError(f"unknown municipality codes: {sorted(unknown)}")
        munis = [m for m in munis if m.code in set(municipality_codes)]
    regions = sorted({m.region for m in munis})
    region_index = {r: i for i, r in enumerate(regions)}
    d0, d1 = month_bounds(first_month, last_month)
    n_units = len(regions) * UNITS_PER_REGION
    return Frame(
        seed=seed, scale=scale, calibrate=calibrate, d0=d0, d1=d1,
        years=list(range(int(first_month[:4]), int(last_month[:4]) + 1)),
        munis=munis,
        muni_region=np.array([region_index[m.region] for m in munis]),
        switch_day=np.array([to_day(LPR3_SWITCH[r]) for r in regions]),
        unit_ggop_day=to_day(GGOP_SWITCH_FIRST_DAY) + rng.integers(0, 31, n_units),
    )
