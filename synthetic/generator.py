"""Synthetic registry extracts in the layout of docs/extract-contract.md.

Real LPR, GOP and CPR data are confidential, so the platform tests and demonstrates
itself on extracts made here. The model is built around *episodes*: a person, living in
a municipality, has a hospital stay, gets a rehabilitation plan of one type sent to the
municipality (GOP register) and a plan code registered in LPR. Episodes are drawn per
municipality x type x year from seed 000's published table times `scale`, one distinct
person per episode within a cell, so the true counts of product 2 are known by
construction. Around them the generator adds what the method of docs/method.md exists
for: background stays that compete in the linkage, duplicates, supplements, plans sent
during or before stays or long after, plans without a stay, chained LPR3 contacts,
virtual contacts, course markers, moves and emigration, and a handful of rows that break
a row rule (quarantine). An extract is a pure function of (scale, seed, months).

National volume (seven years, ~97 M stays) does not fit in memory at once, so
the extract is made in two parts. `build_skeleton` draws the small, global part from one
seeded numpy Generator: persons, plan episodes with their own stays, plans, plan
registrations and addresses. `month_tables` then draws the LPR rows of one month, the
episode stays that start in it and the background stays of the whole population, from a
random stream of (seed, month): months can be made one at a time, in any grouping, with the
same result.

All arrays are vectorised; days are integers since 1970-01-01, times minutes of the day.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from orchestration.core.plan_types import plan_type_codes
from synthetic.targets import (
    SEED_YEARS,
    calibrated_counts,
    cell_counts,
    municipalities,
)

# --- calibration knobs, each with its source --------------------------------------------
# Population per person with a plan in a year: gives ~1.75 M persons at scale 1, and with
# the visit rate below ~12 M outpatient visits and ~0.8 M admissions a year (the national
# volume the platform is built for, docs/benchmarks.md).
POPULATION_PER_PLAN_PERSON = 10
OUTPATIENT_VISITS_PER_PERSON_YEAR = 6.9
ADMISSIONS_PER_PERSON_YEAR = 0.45
ER_SHARE_OF_VISITS = 0.08
# Share of plan episodes that follow an admission, by type. SDS (seed 003): "over half of
# plans follow an outpatient visit".
ADMISSION_SHARE = {"almen": 0.40, "specialiseret": 0.30, "rehab_spec": 0.75}
# A second plan for the same person and type 20-120 days later: SDS counts ~1.2 plans
# per person-year (seed 002: 214,550 plans in 2023 against ~175,000 persons).
REPEAT_EPISODE_SHARE = 0.18
# Delay categories of a plan relative to its own stay (seed 003, Figur 7-9: ~82 % within
# 24 hours; the window removes ~5 %): (share outpatient, share admission).
DELAY_CATEGORIES = {
    "same_day": (0.74, 0.65),
    "next_day": (0.10, 0.10),
    "day_before_discharge": (0.00, 0.06),  # -1, inside the window for admissions
    "during_admission": (0.00, 0.03),  # -2 .. -length: a tail
    "days_2_7": (0.07, 0.07),
    "days_8_14": (0.03, 0.03),
    "long_after": (0.045, 0.035),  # 15-60 days: a tail
    "before_stay": (0.015, 0.015),  # sent before the visit / admission start
}
NO_PLAN_SHARE = 0.02  # LPR registration without a GOP plan (registered independently)
DUPLICATE_PLAN_SHARE = 0.008  # same sender, same day (step 1)
SUPPLEMENT_PLAN_SHARE = 0.006  # a second plan nearest the same stay (step 5)
NO_STAY_PLAN_SHARE = 0.003  # plans of persons with no stay at all
MARKER_ONLY_SHARE_OF_SPEC = 0.08  # specialiseret registered only by AWG1 + AWX21
MARKER_NEAR_PLAN_SHARE = 0.03
START_WITHOUT_STOP_SHARE = 0.01
REPEAT_WITHIN_14_SHARE = 0.04
BARE_PARENT_SHARE = 0.015
MESSY_CODE_SHARE = 0.02  # lower-case or padded with spaces: valid after normalising
MOVER_SHARE = 0.01
EMIGRANT_SHARE = 0.005
COURSE_LEVEL_PROCEDURE_SHARE = 0.10  # LPR3 procedure on the course, not a contact
VIRTUAL_CONTACT_SHARE = 0.10
BACKGROUND_PROCEDURE_SHARE = 0.03
CHAIN_NEAR_MISS_SHARE = 0.003  # two same-day contacts 4 h 01+ apart: two visits

# The LPR3 switch, per region: Hovedstaden, Sjælland, Midtjylland 2-3 February
# 2019, Syddanmark and Nordjylland early March 2019.
LPR3_SWITCH = {"84": "2019-02-02", "85": "2019-02-02", "82": "2019-02-03",
               "83": "2019-03-02", "81": "2019-03-03"}
# D-GOP until May 2016, G-GOP after (seed 003, "Elektronisk kommunikation"): each unit
# switches on a day in May 2016.
GGOP_SWITCH_FIRST_DAY = "2016-05-01"

ALMEN_CODES = ("ZZ0175X", "ZZ0175X1", "ZZ0175X2", "ZZ0175X3", "ZZ0175X4")
ALMEN_CODE_WEIGHTS = np.array([0.40, 0.30, 0.15, 0.10, 0.05])
# The codes a hospital writes for each type: SKS (official meanings, docs/method.md, "Code →
# type") and the GOP register's (docs/extract-contract.md). The sender's side of the
# contract, written here on purpose and not read from the platform's seeds.
TYPE_CODE = {"almen": "ZZ0175X", "specialiseret": "ZZ0175Y", "rehab_spec": "ZZ0175V"}
DGOP_TYPE_CODE = {"almen": "1", "specialiseret": "2", "rehab_spec": "3"}
GGOP_TYPE_CODE = {"almen": "ALM", "specialiseret": "SPEC", "rehab_spec": "REHAB"}


def by_type(values: Mapping[str, object]) -> tuple:
    """A per-type setting along the generator's type axis (the seed plan_types' order)."""
    return tuple(values[t] for t in plan_type_codes())


def type_index(plan_type: str) -> int:
    return plan_type_codes().index(plan_type)
INVALID_CODES = ("ZZ0175Q", "ZZ0175Z", "ZZ0175X9", "ZZ01751")
BACKGROUND_CODES = ("BLHA", "ZZ0149", "BVAA33A", "ZZ3025", "WLHGS")
VIRTUAL_CONTACT_TYPES = ("ALCA01", "ALCA03", "ALCA04", "ALCA10", "ALCA20")
UNITS_PER_REGION = 30
INVALID_ROWS_MIN = 2  # at least this many rows per quarantine reason
# LPR keys are unique across months: month m's keys are m * MONTH_KEY_STRIDE + its own.
MONTH_KEY_STRIDE = 100_000_000
MONTH_KEYS = ("recnum", "kontakt", "forloeb", "procedure")


def to_day(iso: str) -> int:
    return (date.fromisoformat(iso) - date(1970, 1, 1)).days


def month_bounds(first_month: str, last_month: str) -> tuple[int, int]:
    """First and last day (inclusive) of a month range 'YYYY-MM'."""
    y1, m1 = map(int, last_month.split("-"))
    after = date(y1 + (m1 == 12), m1 % 12 + 1, 1)
    return to_day(first_month + "-01"), (after - date(1970, 1, 1)).days - 1


@dataclass
class _Unit:
    """The stays that start in one month (the plan episodes' and the background's), and the
    plan registrations and course markers on them, by index into these stays."""

    month: int  # months since 1970-01
    d0: int  # the month's first and last day inside the extract
    d1: int
    rng: np.random.Generator
    st_person: np.ndarray
    st_kind: np.ndarray
    st_start: np.ndarray
    st_end: np.ndarray
    st_unit: np.ndarray
    st_lpr3: np.ndarray
    rg_stay: np.ndarray
    rg_day: np.ndarray
    rg_code: np.ndarray
    mk_stay: np.ndarray
    mk_day: np.ndarray
    mk_code: np.ndarray
    quarantine_lpr3: bool = False


class _Model:
    def __init__(self, scale: float, seed: int, first_month: str, last_month: str,
                 calibrate: bool = False, municipality_codes: list[str] | None = None):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.scale = scale
        self.calibrate = calibrate
        self.d0, self.d1 = month_bounds(first_month, last_month)
        self.years = list(range(int(first_month[:4]), int(last_month[:4]) + 1))
        self.munis = municipalities()
        if municipality_codes:
            unknown = set(municipality_codes) - {m.code for m in self.munis}
            if unknown:
                raise ValueError(f"unknown municipality codes: {sorted(unknown)}")
            self.munis = [m for m in self.munis if m.code in set(municipality_codes)]
        regions = sorted({m.region for m in self.munis})
        self.region_index = {r: i for i, r in enumerate(regions)}
        self.muni_region = np.array([self.region_index[m.region] for m in self.munis])
        self.switch_day = np.array([to_day(LPR3_SWITCH[r]) for r in regions])
        n_units = len(regions) * UNITS_PER_REGION
        self.unit_region = np.repeat(np.arange(len(regions)), UNITS_PER_REGION)
        self.unit_ggop_day = to_day(GGOP_SWITCH_FIRST_DAY) + self.rng.integers(0, 31, n_units)
        self.n_stays = 0  # stays made so far by month_tables

    # -- helpers ----------------------------------------------------------------------
    def share(self, n: int, p: float, minimum: int = 0) -> np.ndarray:
        return _share(self.rng, n, p, minimum)

    def stochastic_round(self, x: np.ndarray) -> np.ndarray:
        floor = np.floor(x)
        return (floor + (self.rng.random(x.shape) < (x - floor))).astype(np.int64)

    def year_bounds(self, year: int) -> tuple[int, int]:
        """Days of a year in range where a counted registration may fall.

        Kept 14 days clear of the year ends, so that base episodes of the same person
        and type in consecutive years never meet in the 14-day rule (docs/method.md,
        "14-day rule") and the true counts stay those drawn.
        """
        lo = max(self.d0, to_day(f"{year}-01-01") + 14)
        hi = min(self.d1, to_day(f"{year}-12-31") - 14)
        return lo, hi

    # -- persons and episodes -----------------------------------------------------------
    def build_skeleton(self) -> dict[str, dict]:
        """The small, global part of the extract: persons, plan episodes and their own stays,
        plans, plan registrations, addresses. Returns the GOP and CPR tables; the LPR tables
        come month by month from `month_tables`, which reads what this leaves on the model."""
        rng = self.rng
        covered = np.array(
            [max(0, (hi - lo + 1)) / 337 for lo, hi in map(self.year_bounds, self.years)]
        )
        if self.calibrate:
            # Calibration (docs/models.md, "Calibration"): the true counts are seed 000's
            # published cells, exact; `scale` only thins the background stays that
            # compete in the linkage.
            partial = [y for y, c in zip(self.years, covered, strict=True)
                       if y in SEED_YEARS and c < 1]
            if partial:
                raise ValueError(f"--calibrate needs whole seed years; {partial} are cut")
            counts = calibrated_counts(self.munis, self.years, rng)
            self.target = np.where(covered[None, None, :] >= 1, counts,
                                   self.stochastic_round(counts * covered[None, None, :]))
            population_factor, self.background = 3, self.scale
        else:
            counts = cell_counts(self.munis, self.years, rng)
            self.target = self.stochastic_round(counts * self.scale * covered[None, None, :])
            population_factor, self.background = POPULATION_PER_PLAN_PERSON, 1.0

        yearly = self.target.sum(axis=1).max(axis=1)
        pool = np.maximum(
            8, np.ceil(np.maximum(yearly * population_factor,
                                  self.target.max(axis=(1, 2)) * 3))
        ).astype(np.int64)
        self.pool_start = np.r_[0, np.cumsum(pool)[:-1]]
        self.n_pop = int(pool.sum())
        self.person_muni = np.repeat(np.arange(len(self.munis)), pool)

        self._episodes(pool)
        self._movers_and_emigrants()
        self._extra_persons()
        self._episode_stays()
        self._plans()
        self._registrations()
        tables: dict[str, dict] = {}
        self._gop(tables)
        self._cpr(tables)
        # What the months do not read goes once the caller has written these tables: at
        # national volume this is most of the skeleton's memory.
        self.n_episodes = len(self.ep_person)
        for name in [n for n in vars(self) if n.startswith(("ep_", "pl_", "addr_", "nostay_"))]:
            delattr(self, name)
        del self.person_muni
        return tables

    def _episodes(self, pool: np.ndarray) -> None:
        rng = self.rng
        persons, types, days, munis = [], [], [], []
        for mi, ti, yi in zip(*np.nonzero(self.target), strict=True):
            n = int(self.target[mi, ti, yi])
            lo, hi = self.year_bounds(self.years[yi])
            if hi < lo:
                continue
            persons.append(self.pool_start[mi] + rng.choice(pool[mi], n, replace=False))
            types.append(np.full(n, ti))
            munis.append(np.full(n, mi))
            days.append(rng.integers(lo, hi + 1, n))
        person = np.concatenate(persons) if persons else np.zeros(0, np.int64)
        etype = np.concatenate(types) if types else np.zeros(0, np.int64)
        day = np.concatenate(days) if days else np.zeros(0, np.int64)
        muni = np.concatenate(munis) if munis else np.zeros(0, np.int64)

        # Repeat episodes: same person, type and year, 20-120 days away (counts once).
        rep = np.flatnonzero(self.share(len(person), REPEAT_EPISODE_SHARE))
        gap = rng.integers(20, 121, len(rep))
        year_of = np.array([int(str(d)[:4]) for d in day[rep].astype("datetime64[D]")])
        bounds = np.array([self.year_bounds(y) for y in year_of]).reshape(-1, 2)
        d2 = day[rep] + gap
        d2 = np.where(d2 > bounds[:, 1], day[rep] - gap, d2)
        ok = (d2 >= bounds[:, 0]) & (d2 <= bounds[:, 1])
        rep, d2 = rep[ok], d2[ok]
        self.ep_person = np.r_[person, person[rep]]
        self.ep_type = np.r_[etype, etype[rep]]
        self.ep_day = np.r_[day, d2]
        self.ep_muni = np.r_[muni, muni[rep]]
        self.ep_counted = np.ones(len(self.ep_person), bool)  # lies in a Danish address

    def _movers_and_emigrants(self) -> None:
        """Address histories: everybody lives in their pool's municipality since before the
        extract, except movers (one episode in A, moving to B after it, one episode in B the
        next year: counted in both, docs/method.md "Counting") and emigrants (address ends after
        their last episode; a registration after that is not counted)."""
        rng = self.rng
        n_pop = self.n_pop
        self.addr_person = np.arange(n_pop)
        self.addr_muni = self.person_muni.copy()
        self.addr_from = rng.integers(to_day("1940-01-01"), self.d0 - 30, n_pop)
        self.addr_to = np.full(n_pop, -1)  # -1: still living there

        per_person = np.bincount(self.ep_person, minlength=n_pop)
        single = per_person[self.ep_person] == 1
        ep_year = self.ep_day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        moves_from, moves_to, move_day = [], [], []
        used = np.zeros(len(self.ep_person), bool)
        for ti in range(len(plan_type_codes())):
            for y in self.years[:-1]:
                a = np.flatnonzero(single & ~used & (self.ep_type == ti) & (ep_year == y))
                b = np.flatnonzero(single & ~used & (self.ep_type == ti) & (ep_year == y + 1))
                k = min(len(a), len(b), int(np.ceil(len(a) * MOVER_SHARE)))
                if k == 0:
                    continue
                a = rng.choice(a, k, replace=False)
                b = rng.choice(b, k, replace=False)
                keep = self.ep_muni[a] != self.ep_muni[b]
                a, b = a[keep], b[keep]
                used[a] = used[b] = True
                # The person of episode a takes over episode b (in B, the next year): the
                # replaced person simply has no plan, so every cell keeps its count.
                mv = (self.ep_day[a] + self.ep_day[b]) // 2
                moves_from.append(a)
                moves_to.append(b)
                move_day.append(mv)
        if moves_from:
            a, b, mv = map(np.concatenate, (moves_from, moves_to, move_day))
            p = self.ep_person[a]
            self.ep_person[b] = p
            self.addr_to[p] = mv
            self.addr_person = np.r_[self.addr_person, p]
            self.addr_muni = np.r_[self.addr_muni, self.ep_muni[b]]
            self.addr_from = np.r_[self.addr_from, mv]
            self.addr_to = np.r_[self.addr_to, np.full(len(p), -1)]
        self.n_movers = len(moves_from and np.concatenate(moves_from))

        # Emigrants: single-episode persons who are not movers leave 20-200 days after
        # their episode; a registration 5-40 days after leaving must not be counted.
        cand = np.flatnonzero(single & ~used)
        em = cand[self.share(len(cand), EMIGRANT_SHARE, INVALID_ROWS_MIN)]
        leave = self.ep_day[em] + rng.integers(20, 201, len(em))
        later = leave + rng.integers(5, 41, len(em))
        ok = later <= self.d1
        em, leave, later = em[ok], leave[ok], later[ok]
        p = self.ep_person[em]
        self.addr_to[p] = leave  # their only address row is their pool row
        self._append_episodes(p, self.ep_type[em], later, self.ep_muni[em], counted=False)
        self.n_emigrants = len(em)

    def _append_episodes(self, person, etype, day, muni, counted: bool) -> None:
        self.ep_person = np.r_[self.ep_person, person]
        self.ep_type = np.r_[self.ep_type, etype]
        self.ep_day = np.r_[self.ep_day, day]
        self.ep_muni = np.r_[self.ep_muni, muni]
        self.ep_counted = np.r_[self.ep_counted, np.full(len(person), counted)]

    def _extra_persons(self) -> None:
        """Persons outside the population: without a Danish address (episodes, never
        counted), with an unknown municipality code (quarantine), and plans without any
        stay (step 3: excluded_no_stay)."""
        rng = self.rng
        n_ep = len(self.ep_person)
        nxt = self.n_pop
        # No Danish address at all: a few episodes of their own.
        k = max(INVALID_ROWS_MIN, int(n_ep * 0.001))
        p = np.arange(nxt, nxt + k)
        nxt += k
        y = rng.choice(self.years, k)
        lo_hi = np.array([self.year_bounds(v) for v in y])
        ok = lo_hi[:, 1] >= lo_hi[:, 0]
        day = np.where(ok, lo_hi[:, 0] + rng.integers(0, 300, k) % np.maximum(
            1, lo_hi[:, 1] - lo_hi[:, 0] + 1), lo_hi[:, 0])
        self._append_episodes(p[ok], rng.integers(0, 3, k)[ok], day[ok],
                              rng.integers(0, len(self.munis), k)[ok], counted=False)
        self.no_address_persons = p
        # An address with an unknown municipality code: a row rule for the quarantine.
        k = INVALID_ROWS_MIN
        p = np.arange(nxt, nxt + k)
        nxt += k
        self.addr_person = np.r_[self.addr_person, p]
        self.addr_muni = np.r_[self.addr_muni, np.full(k, -1)]  # -1: code '998'
        self.addr_from = np.r_[self.addr_from, np.full(k, to_day("2000-01-01"))]
        self.addr_to = np.r_[self.addr_to, np.full(k, -1)]
        # Persons with a plan and no stay anywhere.
        k = max(INVALID_ROWS_MIN, int(n_ep * NO_STAY_PLAN_SHARE))
        self.nostay_person = np.arange(nxt, nxt + k)
        nxt += k
        self.nostay_muni = rng.integers(0, len(self.munis), k)
        self.nostay_type = rng.integers(0, len(plan_type_codes()), k)
        self.nostay_day = rng.integers(self.d0, self.d1 + 1, k)
        self.addr_person = np.r_[self.addr_person, self.nostay_person]
        self.addr_muni = np.r_[self.addr_muni, self.nostay_muni]
        self.addr_from = np.r_[self.addr_from, np.full(k, to_day("2000-01-01"))]
        self.addr_to = np.r_[self.addr_to, np.full(k, -1)]
        self.n_persons = nxt
        self.person_region = np.r_[
            self.muni_region[self.person_muni],
            rng.integers(0, len(self.switch_day), nxt - self.n_pop),
        ]

    # -- stays --------------------------------------------------------------------------
    def _episode_stays(self) -> None:
        """The stay of each plan episode: an outpatient visit on the episode's day, or an
        admission ending on it. kind 0 outpatient visit, 2 admission; background stays of
        the whole population (kind 0, 1 ER visit, 2) are drawn month by month
        (`_background_stays`). An episode whose stay starts before the extract has none."""
        rng = self.rng
        n_ep = len(self.ep_person)
        ep_adm = rng.random(n_ep) < np.array(by_type(ADMISSION_SHARE))[self.ep_type]
        ep_len = self._admission_length(rng, n_ep)
        start = np.where(ep_adm, self.ep_day - ep_len, self.ep_day)
        keep = start >= self.d0
        idx = np.flatnonzero(keep)
        remap = np.full(n_ep, -1)
        remap[idx] = np.arange(len(idx))
        self.ep_stay = remap  # -1 where the stay is outside the extract
        self.st_person = self.ep_person[idx]
        self.st_kind = np.where(ep_adm, 2, 0)[idx]
        self.st_start, self.st_end = start[idx], self.ep_day[idx]
        self.st_unit, self.st_lpr3 = self._units_and_register(rng, self.st_person,
                                                              self.st_start)
        self.st_month = month_index(self.st_start)

    def _units_and_register(self, rng, person: np.ndarray, start: np.ndarray):
        """A unit of the person's region mostly, a tenth treated elsewhere; LPR3 from the
        day that region switched."""
        n = len(person)
        region = self.person_region[person]
        other = rng.random(n) < 0.1
        region = np.where(other, rng.integers(0, len(self.switch_day), n), region)
        unit = region * UNITS_PER_REGION + rng.integers(0, UNITS_PER_REGION, n)
        return unit, start >= self.switch_day[region]

    @staticmethod
    def _admission_length(rng, n: int) -> np.ndarray:
        # 5 % same-day admissions, else 1 + geometric with mean ~4 days, capped at 60.
        length = np.minimum(rng.geometric(0.25, n), 60)
        return np.where(rng.random(n) < 0.05, 0, length)

    # -- plans (GOP register) -----------------------------------------------------------
    def _plans(self) -> None:
        rng = self.rng
        n_ep = len(self.ep_person)
        has_stay = self.ep_stay >= 0
        stay = np.where(has_stay, self.ep_stay, 0)
        adm = has_stay & (self.st_kind[stay] == 2)
        start = np.where(has_stay, self.st_start[stay], self.ep_day)
        length = self.ep_day - start
        names = list(DELAY_CATEGORIES)
        p_out = np.array([v[0] for v in DELAY_CATEGORIES.values()])
        p_adm = np.array([v[1] for v in DELAY_CATEGORIES.values()])
        cat = np.where(
            adm,
            rng.choice(len(names), n_ep, p=p_adm / p_adm.sum()),
            rng.choice(len(names), n_ep, p=p_out / p_out.sum()),
        )
        c = {name: cat == i for i, name in enumerate(names)}
        delay = np.zeros(n_ep, np.int64)
        delay[c["next_day"]] = 1
        delay[c["day_before_discharge"]] = -1
        during = c["during_admission"] & (length >= 2)
        delay[during] = -rng.integers(2, np.maximum(length[during], 2) + 1)
        delay[c["days_2_7"]] = rng.integers(2, 8, c["days_2_7"].sum())
        delay[c["days_8_14"]] = rng.integers(8, 15, c["days_8_14"].sum())
        delay[c["long_after"]] = rng.integers(15, 61, c["long_after"].sum())
        sent = self.ep_day + delay
        before = c["before_stay"]
        sent[before] = start[before] - rng.integers(1, 6, before.sum())
        # An admission of one day has no "day before discharge" inside it: sent before it.
        has_plan = self.share(n_ep, 1 - NO_PLAN_SHARE)

        person = self.ep_person[has_plan]
        ptype = self.ep_type[has_plan]
        pday = sent[has_plan]
        unit = np.where(has_stay, self.st_unit[stay], rng.integers(0, len(self.unit_region), n_ep))
        punit = unit[has_plan]
        pmuni = self.ep_muni[has_plan]
        psec = rng.integers(7 * 3600, 17 * 3600, len(person))

        # Step 1's duplicates: same person, sender and day, sent later.
        dup = np.flatnonzero(self.share(len(person), DUPLICATE_PLAN_SHARE, INVALID_ROWS_MIN))
        # Step 5's supplements: another plan 1-4 days later, half from another sender.
        sup = np.flatnonzero(self.share(len(person), SUPPLEMENT_PLAN_SHARE, INVALID_ROWS_MIN))
        sup_unit = np.where(rng.random(len(sup)) < 0.5, punit[sup],
                            rng.integers(0, len(self.unit_region), len(sup)))
        self.pl_person = np.r_[person, person[dup], person[sup], self.nostay_person]
        self.pl_type = np.r_[ptype, ptype[dup], ptype[sup], self.nostay_type]
        self.pl_day = np.r_[pday, pday[dup], pday[sup] + rng.integers(1, 5, len(sup)),
                            self.nostay_day]
        self.pl_sec = np.r_[psec, np.minimum(psec[dup] + rng.integers(0, 7200, len(dup)),
                                             86399),
                            rng.integers(7 * 3600, 17 * 3600, len(sup) + len(self.nostay_day))]
        self.pl_unit = np.r_[punit, punit[dup], sup_unit,
                             rng.integers(0, len(self.unit_region), len(self.nostay_day))]
        self.pl_muni = np.r_[pmuni, pmuni[dup], pmuni[sup], self.nostay_muni]

    # -- LPR plan registrations (product 2) --------------------------------------------
    def _registrations(self) -> None:
        """Registrations (code, day, stay) and course markers (AWG1/AWX21, day, stay)."""
        rng = self.rng
        ok = self.ep_stay >= 0
        ep = np.flatnonzero(ok)
        stay = self.ep_stay[ep]
        etype = self.ep_type[ep]
        day = self.ep_day[ep]
        n = len(ep)
        code = np.array(by_type(TYPE_CODE))[etype].astype(object)
        almen = etype == type_index("almen")
        code[almen] = np.array(ALMEN_CODES)[
            rng.choice(len(ALMEN_CODES), almen.sum(), p=ALMEN_CODE_WEIGHTS)]
        # Specialiseret registered only by AWG1 + AWX21 (seed 000's note): a person with
        # no other episode, so no plan code falls in the -14/+60 window of the start.
        per_person = np.bincount(self.ep_person, minlength=self.n_persons)
        single = per_person[self.ep_person[ep]] == 1
        cand = np.flatnonzero((etype == type_index("specialiseret")) & single)
        marker_only = np.zeros(n, bool)
        marker_only[cand[self.share(len(cand), MARKER_ONLY_SHARE_OF_SPEC, INVALID_ROWS_MIN)]] = True
        keep = ~marker_only
        regs = [(stay[keep], day[keep], code[keep])]
        # The stop 20-90 days later, but inside the extract: a stop cut off by the end of
        # the extract would turn a counted start into a start without a stop.
        stop_day = np.minimum(day[marker_only] + rng.integers(20, 91, marker_only.sum()),
                              self.d1)
        marks = [(stay[marker_only], day[marker_only], "AWG1"),
                 (stay[marker_only], stop_day, "AWX21")]
        # Start and stop next to a plan code: excluded (-14/+60), counts once via the code.
        spec = np.flatnonzero((etype == type_index("specialiseret")) & keep)
        near = spec[self.share(len(spec), MARKER_NEAR_PLAN_SHARE, INVALID_ROWS_MIN)]
        near_day = day[near] + rng.integers(1, 11, len(near))
        marks += [(stay[near], near_day, "AWG1"), (stay[near], near_day + 30, "AWX21")]
        # A start without a stop: never counts. Only for a person with no other episode: in
        # LPR2 any later stop of the person completes a start (docs/method.md), and a stop of
        # another episode would make it count (seen in the full calibration run).
        spec_single = np.flatnonzero((etype == type_index("specialiseret")) & keep & single)
        lone = spec_single[self.share(len(spec_single), START_WITHOUT_STOP_SHARE,
                                      INVALID_ROWS_MIN)]
        marks.append((stay[lone], day[lone] + rng.integers(100, 200, len(lone)), "AWG1"))
        # The same code again within 14 days: does not count (14-day rule).
        rep = np.flatnonzero(keep & self.share(n, REPEAT_WITHIN_14_SHARE, INVALID_ROWS_MIN))
        regs.append((stay[rep], day[rep] + rng.integers(1, 14, len(rep)), code[rep]))
        # The bare parent code: valid, no type, counted nowhere (a quality figure).
        # Not on a marker-only episode: the parent code is a plan code and would stop the start
        # from qualifying (docs/method.md, "Start codes"), which would change a count.
        bare = np.flatnonzero(keep & self.share(n, BARE_PARENT_SHARE, INVALID_ROWS_MIN))
        regs.append((stay[bare], day[bare], np.full(len(bare), "ZZ0175", object)))
        # Invalid ZZ0175* codes: quarantined, never counted.
        bad = rng.choice(n, min(n, max(INVALID_ROWS_MIN, n // 2000)), replace=False)
        regs.append((stay[bad], day[bad],
                     np.array(INVALID_CODES, object)[rng.integers(0, len(INVALID_CODES),
                                                                  len(bad))]))
        self.rg_stay, self.rg_day, self.rg_code = (np.concatenate(x) for x in zip(*regs,
                                                                                  strict=True))
        self.rg_code = self.rg_code.astype(object)
        # Lower-case or padded codes: valid after trimming and upper-casing (docs/method.md).
        messy = np.flatnonzero(self.share(len(self.rg_code), MESSY_CODE_SHARE, INVALID_ROWS_MIN))
        lower = rng.random(len(messy)) < 0.5
        self.rg_code[messy[lower]] = [c.lower() for c in self.rg_code[messy[lower]]]
        self.rg_code[messy[~lower]] = [f" {c} " for c in self.rg_code[messy[~lower]]]
        stays, days, codes = zip(*marks, strict=True)
        self.mk_code = np.concatenate(
            [np.full(len(s), c, object) for s, c in zip(stays, codes, strict=True)])
        self.mk_stay = np.concatenate(stays)
        self.mk_day = np.concatenate(days)

    # -- month by month -------------------------------------------------------------------
    def months(self) -> list[int]:
        """The months of the extract (months since 1970-01), the units `month_tables` makes."""
        first, last = month_index(np.array([self.d0, self.d1]))
        return list(range(int(first), int(last) + 1))

    def month_tables(self, month: int) -> dict[str, dict]:
        """The LPR rows of the stays that start in `month`: the plan episodes' own stays and
        background stays of the whole population, with their contacts, courses and
        registrations. Drawn from a random stream of (seed, month) alone, so a month's rows
        are the same however many months are generated together; keys are unique across
        months (each month has its own stride of MONTH_KEY_STRIDE). A row may fall in a later
        month than `month` (a contact or a registration after the stay's first day)."""
        first, last = month_bounds(*[str(np.datetime64(month, "M"))] * 2)
        d0, d1 = max(self.d0, first), min(self.d1, last)
        rng = np.random.default_rng([self.seed, month])
        ep = np.flatnonzero(self.st_month == month)  # sorted: searchsorted maps into it
        bg = self._background_stays(rng, d0, d1)
        person, kind, start, end, unit, lpr3 = (
            np.r_[getattr(self, f"st_{a}")[ep], b] for a, b in zip(
                ("person", "kind", "start", "end", "unit", "lpr3"), bg, strict=True))
        rg = np.flatnonzero(self.st_month[self.rg_stay] == month)
        mk = np.flatnonzero(self.st_month[self.mk_stay] == month)
        # Background procedures unrelated to plans, on ordinary stays that have ended.
        bgp = np.flatnonzero(_share(rng, len(person), BACKGROUND_PROCEDURE_SHARE) & (end >= 0))
        bgp_code = np.array(BACKGROUND_CODES, object)[rng.integers(0, len(BACKGROUND_CODES),
                                                                    len(bgp))]
        s = _Unit(
            month=month, d0=d0, d1=d1, rng=rng, st_person=person, st_kind=kind,
            st_start=start, st_end=end, st_unit=unit, st_lpr3=lpr3,
            rg_stay=np.r_[np.searchsorted(ep, self.rg_stay[rg]), bgp],
            rg_day=np.r_[self.rg_day[rg], end[bgp]],
            rg_code=np.r_[self.rg_code[rg], bgp_code].astype(object),
            mk_stay=np.searchsorted(ep, self.mk_stay[mk]), mk_day=self.mk_day[mk],
            mk_code=self.mk_code[mk],
            quarantine_lpr3=month == self._quarantine_lpr3_month())
        tables: dict[str, dict] = {}
        self._lpr2(s, tables)
        self._lpr3(s, tables)
        for spec in tables.values():
            for name, (kind_, ids, *rest) in list(spec.items()):
                if kind_ in MONTH_KEYS:
                    if len(ids) and int(ids.max()) >= MONTH_KEY_STRIDE:
                        raise ValueError(f"more than {MONTH_KEY_STRIDE:,} {kind_} keys in "
                                         "one month: raise MONTH_KEY_STRIDE")
                    spec[name] = (kind_, ids + month * MONTH_KEY_STRIDE, *rest)
        self.n_stays += len(person)
        return tables

    def _background_stays(self, rng, d0: int, d1: int):
        """Outpatient visits, ER visits and admissions of the whole population that start
        between d0 and d1, at the yearly rates of the calibration knobs."""
        rate = (d1 - d0 + 1) / 365.25 * self.background
        n_vis = rng.poisson(OUTPATIENT_VISITS_PER_PERSON_YEAR * rate, self.n_pop)
        n_adm = rng.poisson(ADMISSIONS_PER_PERSON_YEAR * rate, self.n_pop)
        vis_person = np.repeat(np.arange(self.n_pop), n_vis)
        adm_person = np.repeat(np.arange(self.n_pop), n_adm)
        vis_day = rng.integers(d0, d1 + 1, len(vis_person))
        adm_start = rng.integers(d0, d1 + 1, len(adm_person))
        adm_end = adm_start + self._admission_length(rng, len(adm_person))
        person = np.r_[vis_person, adm_person]
        kind = np.r_[np.where(rng.random(len(vis_person)) < ER_SHARE_OF_VISITS, 1, 0),
                     np.full(len(adm_person), 2)]
        start = np.r_[vis_day, adm_start]
        # An admission still going on at the end of the extract has no end yet.
        end = np.r_[vis_day, np.where(adm_end > self.d1, -1, adm_end)]
        unit, lpr3 = self._units_and_register(rng, person, start)
        return person, kind, start, end, unit, lpr3

    def quarantine_lpr2_days(self, s: _Unit) -> tuple[int, int]:
        """Days of month `s` for LPR2's quarantine rows (discharge before admission, visits of
        no contact): in the extract's first month, when LPR2 is still in use then; else none
        (lo > hi)."""
        lo = self.d0 + 10
        hi = min(self.d1, int(self.switch_day.min()) - 1, s.d1)
        if int(month_index(np.array([lo]))[0]) != s.month:
            return 1, 0
        return lo, hi

    def _quarantine_lpr3_month(self) -> int:
        """The first month with LPR3: its quarantine rows (a contact ending before it starts,
        procedures on no contact) are there."""
        return int(month_index(np.array([max(self.d0, int(self.switch_day.min()))]))[0])

    # -- registers ------------------------------------------------------------------------
    def _lpr2(self, s: "_Unit", ex: dict) -> None:
        rng = s.rng
        on = ~s.st_lpr3
        sid = np.flatnonzero(on)
        kind = s.st_kind[sid]
        # Outpatient visits group into courses of up to four visits per person (t_adm
        # c_pattype '1' with t_bes rows); admissions ('0') and ER visits ('2') stand alone.
        vis = sid[kind == 0]
        order = np.lexsort((s.st_start[vis], s.st_person[vis]))
        vis = vis[order]
        rank = _rank_within(s.st_person[vis])
        new_course = rank % 4 == 0
        course_of_visit = np.cumsum(new_course) - 1
        first = vis[new_course]
        n_courses = len(first)
        last_day = np.full(n_courses, 0)
        np.maximum.at(last_day, course_of_visit, s.st_start[vis])
        solo = sid[kind != 0]
        # recnum per t_adm row: courses first, then solo stays; keys are shuffled.
        n_adm = n_courses + len(solo)
        keys = rng.permutation(n_adm)
        recnum_of_stay = np.full(len(s.st_person), -1)
        recnum_of_stay[vis] = keys[course_of_visit]
        recnum_of_stay[solo] = keys[n_courses:]
        adm_person = np.r_[s.st_person[first], s.st_person[solo]]
        pattype = np.r_[np.full(n_courses, 1), np.where(s.st_kind[solo] == 2, 0, 2)]
        d_ind = np.r_[s.st_start[first], s.st_start[solo]]
        d_ud = np.r_[last_day, np.where(s.st_kind[solo] == 1, s.st_start[solo],
                                        s.st_end[solo])]
        # A course whose last visit is in the extract's last two months is still open.
        open_course = (d_ud[:n_courses] > self.d1 - 60) & (rng.random(n_courses) < 0.5)
        d_ud[:n_courses][open_course] = -1
        unit = np.r_[s.st_unit[first], s.st_unit[solo]]
        # Quarantine cases: discharge before admission (extra background rows).
        # Placed before the first LPR3 switch, when the extract reaches back that far.
        # In one month only (`quarantine_lpr2_days`), so a whole extract has INVALID_ROWS_MIN.
        lo, hi = self.quarantine_lpr2_days(s)
        k = INVALID_ROWS_MIN if hi >= lo else 0
        bad_p = rng.integers(0, self.n_pop, k)
        bad_in = rng.integers(lo, hi + 1, k)
        adm_person = np.r_[adm_person, bad_p]
        pattype = np.r_[pattype, np.zeros(k, np.int64)]
        d_ind = np.r_[d_ind, bad_in]
        d_ud = np.r_[d_ud, bad_in - rng.integers(1, 5, k)]
        unit = np.r_[unit, rng.integers(0, len(self.unit_region), k)]
        keys_all = np.r_[keys, n_adm + np.arange(k)]
        hour = rng.integers(0, 24, len(adm_person))
        ex["lpr2__t_adm"] = {
            "k_recnum": ("recnum", keys_all),
            "v_cpr_encrypted": ("person", adm_person),
            "c_pattype": ("pick", ("0", "1", "2"), pattype),
            "d_inddto": ("date", d_ind),
            "d_uddto": ("date", d_ud, d_ud != -1),
            "v_indtime": ("int", hour),
            "c_sgh": ("sgh", unit),
            "c_afd": ("afd", unit),
        }
        # t_bes: one row per visit, plus orphans pointing at no t_adm row.
        orphan = rng.integers(lo, hi + 1, k)
        ex["lpr2__t_bes"] = {
            "v_recnum": ("recnum", np.r_[recnum_of_stay[vis], n_adm + k + np.arange(k)]),
            "d_ambdto": ("date", np.r_[s.st_start[vis], orphan]),
        }
        # t_sksube: plan codes, course markers and background procedures on LPR2 stays.
        rg = np.flatnonzero(on[s.rg_stay])
        mk = np.flatnonzero(on[s.mk_stay])
        ex["lpr2__t_sksube"] = {
            "v_recnum": ("recnum", np.r_[recnum_of_stay[s.rg_stay[rg]],
                                         recnum_of_stay[s.mk_stay[mk]]]),
            "c_opr": ("object", np.r_[s.rg_code[rg], s.mk_code[mk]]),
            "d_odto": ("date", np.r_[s.rg_day[rg], s.mk_day[mk]]),
        }

    def _lpr3(self, s: "_Unit", ex: dict) -> None:
        rng = s.rng
        sid = np.flatnonzero(s.st_lpr3)
        kind = s.st_kind[sid]
        n = len(sid)
        start_day = s.st_start[sid]
        end_day = s.st_end[sid]
        ongoing = end_day < 0
        # Start minute: visits in clinic hours, ER any time, admissions any time.
        s_min = np.where(kind == 0, rng.integers(8 * 60, 15 * 60, n), rng.integers(0, 1380, n))
        s_abs = start_day * 1440 + s_min
        # Outpatient visit: one contact of 15-120 minutes. ER: 1-5 hours, may cross midnight.
        dur = np.where(kind == 0, rng.integers(15, 121, n), rng.integers(60, 301, n))
        # Admission: an ER contact of 1-4 h, then ward contacts chained by gaps under 4 h,
        # ending on the discharge day at a time that makes the stay >= 12 h (docs/method.md).
        adm = kind == 2
        end_min = rng.integers(8 * 60, 16 * 60, n)
        end_abs = np.where(adm, np.maximum(end_day * 1440 + end_min, s_abs + 12 * 60 + 30),
                           s_abs + dur)
        # A same-day admission may not fit 12 hours in its day: start it earlier that day.
        late = adm & (end_abs // 1440 > end_day) & ~ongoing
        s_abs = np.where(late, end_day * 1440 + 6 * 60 + rng.integers(0, 60, n), s_abs)
        end_abs = np.where(late, end_day * 1440 + 19 * 60 + rng.integers(0, 120, n), end_abs)
        c1_len = rng.integers(60, 241, n)
        gap1 = rng.integers(0, 240, n)  # under 4 h: chained (docs/method.md, "Stays")
        three = adm & (rng.random(n) < 0.3)
        c1_end = np.where(adm, s_abs + c1_len, end_abs)
        c2_start = c1_end + gap1
        mid = c2_start + (end_abs - c2_start) // 2
        c2_end = np.where(three, mid, end_abs)
        # The second gap fits in the time left, or the last contact would end before it
        # starts (a row rule the generator breaks only on purpose, INVALID_ROWS_MIN times).
        gap2 = np.minimum(rng.integers(0, 240, n), np.maximum((end_abs - mid) // 2, 0))
        c3_start = mid + gap2
        # Contacts: (stay, start_abs, end_abs, is_last)
        parts = [
            (np.arange(n), s_abs, c1_end, ~adm),
            (np.flatnonzero(adm), c2_start[adm], c2_end[adm], adm[adm] & ~three[adm]),
            (np.flatnonzero(three), c3_start[three], end_abs[three], np.ones(three.sum(), bool)),
        ]
        c_stay = np.concatenate([p[0] for p in parts])
        c_start = np.concatenate([p[1] for p in parts])
        c_end = np.concatenate([p[2] for p in parts])
        c_last = np.concatenate([p[3] for p in parts])
        c_open = ongoing[c_stay] & c_last
        # The first contact of an ER visit or an admission is acute (ATA1), the rest planned.
        acute = ((kind[c_stay] != 0) & (c_start == s_abs[c_stay])).astype(np.int64)
        # Courses (forloeb): up to four stays of a person in start order.
        order = np.lexsort((start_day, s.st_person[sid]))
        rank = np.empty(n, np.int64)
        rank[order] = _rank_within(s.st_person[sid][order])
        new_course = np.zeros(n, bool)
        new_course[order] = rank[order] % 4 == 0
        course_seq = np.empty(n, np.int64)
        course_seq[order] = np.cumsum(new_course[order]) - 1
        n_fl = int(new_course.sum())
        fl_key = rng.permutation(n_fl)
        stay_fl = fl_key[course_seq]
        fl_person = np.empty(n_fl, np.int64)
        fl_start = np.full(n_fl, np.iinfo(np.int64).max)
        fl_person[stay_fl] = s.st_person[sid]
        np.minimum.at(fl_start, stay_fl, start_day)
        # Virtual contacts (not physical attendance: never a stay) and near-miss chains
        # (a second same-day contact 4 h 01 min or more after the first: two visits).
        nv = int(n * VIRTUAL_CONTACT_SHARE)
        v_stay = rng.integers(0, max(n, 1), nv) if n else np.zeros(0, np.int64)
        v_start = (start_day[v_stay] + rng.integers(0, 30, nv)) * 1440 + rng.integers(
            480, 960, nv)
        visits = np.flatnonzero(kind == 0)
        nm = visits[_share(rng, len(visits), CHAIN_NEAR_MISS_SHARE)] if len(visits) else visits
        nm_start = c1_end[nm] + 241 + rng.integers(0, 60, len(nm))
        # Quarantine: a contact ending before it starts (in one month of the extract only).
        k = INVALID_ROWS_MIN if n and s.quarantine_lpr3 else 0
        bad = rng.integers(0, max(n, 1), k)
        all_stay = np.r_[c_stay, v_stay, nm, bad]
        all_start = np.r_[c_start, v_start, nm_start, s_abs[bad]]
        all_end = np.r_[c_end, v_start + rng.integers(10, 40, nv), nm_start + 30,
                        s_abs[bad] - rng.integers(1440, 3 * 1440, k)]
        all_open = np.r_[c_open, np.zeros(nv + len(nm) + k, bool)]
        ktype = np.r_[np.zeros(len(c_stay), np.int64), rng.integers(1, 6, nv),
                      np.zeros(len(nm) + k, np.int64)]
        all_acute = np.r_[acute, np.zeros(nv + len(nm) + k, np.int64)]
        keep = all_start // 1440 <= self.d1
        n_c = len(all_stay)
        c_key = rng.permutation(n_c)
        # The contact a registration hangs on: the stay's last physical contact.
        last_contact = np.full(n, -1)
        last_contact[c_stay[c_last]] = c_key[: len(c_stay)][c_last]
        st_contact = np.full(len(s.st_person), -1)
        st_contact[sid] = last_contact
        st_forloeb = np.full(len(s.st_person), -1)
        st_forloeb[sid] = stay_fl
        ex["lpr3__kontakter"] = {
            "dw_ek_kontakt": ("kontakt", c_key[keep]),
            "dw_ek_forloeb": ("forloeb", stay_fl[all_stay][keep]),
            "cpr_encrypted": ("person", s.st_person[sid][all_stay][keep]),
            "dato_start": ("date", (all_start // 1440)[keep]),
            "tidspunkt_start": ("time", (all_start % 1440)[keep]),
            "dato_slut": ("date", (all_end // 1440)[keep], ~all_open[keep]),
            "tidspunkt_slut": ("time", (all_end % 1440)[keep], ~all_open[keep]),
            "kontakttype": ("pick", ("ALCA00",) + VIRTUAL_CONTACT_TYPES, ktype[keep]),
            "prioritet": ("pick", ("ATA3", "ATA1"), all_acute[keep]),
            "sorenhed_ans": ("sor", s.st_unit[sid][all_stay][keep]),
        }
        ex["lpr3__forloeb"] = {
            "dw_ek_forloeb": ("forloeb", np.arange(n_fl)),
            "cpr_encrypted": ("person", fl_person),
            "dato_start": ("date", fl_start),
        }
        # Procedures: on the stay's last contact, or (a tenth) on the course only.
        rg = np.flatnonzero(s.st_lpr3[s.rg_stay])
        st = s.rg_stay[rg]
        course_level = rng.random(len(rg)) < COURSE_LEVEL_PROCEDURE_SHARE
        contact = np.where(course_level, -1, st_contact[st])
        forloeb = np.where(course_level, st_forloeb[st], -1)
        # Quarantine: procedures on a contact that does not exist (no key of any month:
        # a month's keys are its stride plus fewer than n_c).
        k2 = INVALID_ROWS_MIN if s.quarantine_lpr3 else 0
        contact = np.r_[contact, n_c + np.arange(k2)]
        forloeb = np.r_[forloeb, np.full(k2, -1)]
        p_code = np.r_[s.rg_code[rg], np.array(["ZZ0175X"] * k2, object)]
        p_day = np.r_[s.rg_day[rg], rng.integers(s.d0, s.d1 + 1, k2)]
        p_unit = np.r_[s.st_unit[st], rng.integers(0, len(self.unit_region), k2)]
        n_p = len(contact)
        ex["lpr3__procedurer_andre"] = {
            "procedureregistrering_id": ("procedure", rng.permutation(n_p)),
            "dw_ek_kontakt": ("kontakt", np.maximum(contact, 0), contact >= 0),
            "dw_ek_forloeb": ("forloeb", np.maximum(forloeb, 0), forloeb >= 0),
            "procedurekode": ("object", p_code),
            "proceduretype": ("pick", ("P",), np.zeros(n_p, np.int64)),
            "dato_start": ("date", p_day),
            "tidspunkt_start": ("time", rng.integers(0, 1440, n_p)),
            "sorenhed_pro": ("sor", p_unit),
        }
        mk = np.flatnonzero(s.st_lpr3[s.mk_stay])
        ex["lpr3__forloebsmarkoerer"] = {
            "dw_ek_forloeb": ("forloeb", st_forloeb[s.mk_stay[mk]]),
            "markoer": ("object", s.mk_code[mk]),
            "dato_markoer": ("date", s.mk_day[mk]),
            "tidspunkt_markoer": ("time", rng.integers(0, 1440, len(mk))),
        }

    def _gop(self, ex: dict) -> None:
        rng = self.rng
        n = len(self.pl_person)
        ids = rng.permutation(n)
        dgop = self.pl_day < self.unit_ggop_day[self.pl_unit]
        d, g = np.flatnonzero(dgop), np.flatnonzero(~dgop)
        ex["gop__t_dgop"] = {
            "k_brevid": ("plan", ids[d]),
            "v_cpr_encrypted": ("person", self.pl_person[d]),
            "d_afsendt": ("date", self.pl_day[d]),
            "v_afsendt_tid": ("time", self.pl_sec[d] // 60),
            "c_afsender": ("sgh_afd", self.pl_unit[d]),
            "c_modtager_kom": ("muni", self.pl_muni[d]),
            "c_goptype": ("pick", by_type(DGOP_TYPE_CODE), self.pl_type[d]),
        }
        ex["gop__t_ggop"] = {
            "brev_id": ("plan", ids[g]),
            "cpr_encrypted": ("person", self.pl_person[g]),
            "afsendt_tidspunkt": ("timestamp", self.pl_day[g], self.pl_sec[g]),
            "afsender_sor": ("sor", self.pl_unit[g]),
            "modtager_kommunekode": ("muni", self.pl_muni[g]),
            "plantype": ("pick", by_type(GGOP_TYPE_CODE), self.pl_type[g]),
        }

    def _cpr(self, ex: dict) -> None:
        ex["cpr__t_adresse"] = {
            "cpr_encrypted": ("person", self.addr_person),
            "c_kom": ("muni", self.addr_muni),
            "d_tilflyt_dato": ("date", self.addr_from),
            "d_fraflyt_dato": ("date", self.addr_to, self.addr_to != -1),
        }


def _share(rng: np.random.Generator, n: int, p: float, minimum: int = 0) -> np.ndarray:
    """A random boolean mask with ~p*n True, at least `minimum` when n allows."""
    mask = rng.random(n) < p
    short = min(minimum, n) - int(mask.sum())
    if short > 0:
        mask[rng.choice(np.flatnonzero(~mask), short, replace=False)] = True
    return mask


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of days since 1970-01-01."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _rank_within(sorted_groups: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within runs of equal values of an already sorted array."""
    n = len(sorted_groups)
    if n == 0:
        return np.zeros(0, np.int64)
    idx = np.arange(n)
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    return idx - np.maximum.accumulate(np.where(starts, idx, 0))


def build_model(scale: float, seed: int, first_month: str, last_month: str,
                calibrate: bool = False, municipality_codes: list[str] | None = None,
                ) -> "_Model":
    return _Model(scale, seed, first_month, last_month, calibrate, municipality_codes)
