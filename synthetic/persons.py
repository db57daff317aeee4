"""Persons, their plan episodes and their addresses.

An episode is one plan of one type for one person on one day, in the municipality the
person lives in. The base episodes are seed 000's true counts (`draw_targets`), one distinct
person per episode within a municipality x type x year cell; around them come repeat
episodes, movers, emigrants and persons outside the population. Each step returns new
records: nothing is changed in place.
"""

from dataclasses import dataclass, replace

import numpy as np

from orchestration.core.plan_types import plan_type_codes
from synthetic.frame import Frame, share, stochastic_round, to_day, year_of
from synthetic.knobs import (
    EMIGRANT_SHARE,
    INVALID_ROWS_MIN,
    MOVER_SHARE,
    NO_STAY_PLAN_SHARE,
    POPULATION_PER_PLAN_PERSON,
    REPEAT_EPISODE_SHARE,
)
from synthetic.targets import SEED_YEARS, calibrated_counts, cell_counts

NO_ADDRESS_SINCE = to_day("2000-01-01")  # outsiders' addresses begin here


@dataclass(frozen=True)
class Population:
    """The persons who live in the extract's municipalities: a pool per municipality, the
    persons of municipality i being pool_start[i] .. pool_start[i] + pool[i] - 1."""

    pool: np.ndarray
    pool_start: np.ndarray
    person_muni: np.ndarray  # per person of the population
    background: float  # factor on the background stays' yearly rates

    @property
    def size(self) -> int:
        return len(self.person_muni)


@dataclass(frozen=True)
class Episodes:
    """Plan episodes (index = episode). `counted` is False where the registration lies on a
    day without a Danish address, so the true counts leave it out."""

    person: np.ndarray
    type: np.ndarray  # index into plan_type_codes()
    day: np.ndarray  # the counted registration's day (the stay's last day)
    muni: np.ndarray
    counted: np.ndarray

    def __len__(self) -> int:
        return len(self.person)

    def plus(self, person: np.ndarray, etype: np.ndarray, day: np.ndarray,
             muni: np.ndarray, counted: bool) -> "Episodes":
        return Episodes(np.r_[self.person, person], np.r_[self.type, etype],
                        np.r_[self.day, day], np.r_[self.muni, muni],
                        np.r_[self.counted, np.full(len(person), counted)])


@dataclass(frozen=True)
class Addresses:
    """CPR address rows: a person lives in `muni` from `moved_in` to `moved_out` (-1: still
    there). Municipality -1 is a code that no municipality has (quarantine)."""

    person: np.ndarray
    muni: np.ndarray
    moved_in: np.ndarray
    moved_out: np.ndarray

    def plus(self, person: np.ndarray, muni: np.ndarray, moved_in: np.ndarray,
             moved_out: np.ndarray) -> "Addresses":
        return Addresses(np.r_[self.person, person], np.r_[self.muni, muni],
                         np.r_[self.moved_in, moved_in], np.r_[self.moved_out, moved_out])


@dataclass(frozen=True)
class PlansWithoutStay:
    """Plans of persons who have no stay at all (step 3: excluded_no_stay)."""

    person: np.ndarray
    muni: np.ndarray
    type: np.ndarray
    day: np.ndarray


@dataclass(frozen=True)
class People:
    """Everybody in the extract: the population and the persons outside it."""

    population_size: int
    size: int
    region: np.ndarray  # region index per person


def draw_targets(frame: Frame, rng: np.random.Generator) -> tuple[np.ndarray, Population]:
    """The true counts [muni, type, year] and the population they are drawn from."""
    covered = np.array(
        [max(0, (hi - lo + 1)) / 337 for lo, hi in map(frame.year_bounds, frame.years)]
    )
    if frame.calibrate:
        # Calibration (docs/models.md, "Calibration"): the true counts are seed 000's
        # published cells, exact; `scale` only thins the background stays that
        # compete in the linkage.
        partial = [y for y, c in zip(frame.years, covered, strict=True)
                   if y in SEED_YEARS and c < 1]
        if partial:
            raise ValueError(f"--calibrate needs whole seed years; {partial} are cut")
        counts = calibrated_counts(frame.munis, frame.years, rng)
        target = np.where(covered[None, None, :] >= 1, counts,
                          stochastic_round(rng, counts * covered[None, None, :]))
        population_factor, background = 3, frame.scale
    else:
        counts = cell_counts(frame.munis, frame.years, rng)
        target = stochastic_round(rng, counts * frame.scale * covered[None, None, :])
        population_factor, background = POPULATION_PER_PLAN_PERSON, 1.0

    yearly = target.sum(axis=1).max(axis=1)
    pool = np.maximum(
        8, np.ceil(np.maximum(yearly * population_factor, target.max(axis=(1, 2)) * 3))
    ).astype(np.int64)
    population = Population(pool=pool, pool_start=np.r_[0, np.cumsum(pool)[:-1]],
                            person_muni=np.repeat(np.arange(len(frame.munis)), pool),
                            background=background)
    return target, population


def draw_episodes(frame: Frame, population: Population, target: np.ndarray,
                  rng: np.random.Generator) -> Episodes:
    """One episode per true count, a distinct person of the municipality's pool per episode
    within a cell, on a day of the year; then repeat episodes of the same person and type,
    20-120 days away in the same year (they count once)."""
    persons, types, days, munis = [], [], [], []
    for mi, ti, yi in zip(*np.nonzero(target), strict=True):
        n = int(target[mi, ti, yi])
        lo, hi = frame.year_bounds(frame.years[yi])
        if hi < lo:
            continue
        persons.append(population.pool_start[mi]
                       + rng.choice(population.pool[mi], n, replace=False))
        types.append(np.full(n, ti))
        munis.append(np.full(n, mi))
        days.append(rng.integers(lo, hi + 1, n))
    person, etype, day, muni = (np.concatenate(x) if x else np.zeros(0, np.int64)
                                for x in (persons, types, days, munis))

    rep = np.flatnonzero(share(rng, len(person), REPEAT_EPISODE_SHARE))
    gap = rng.integers(20, 121, len(rep))
    bounds = np.array([frame.year_bounds(y) for y in year_of(day[rep])]).reshape(-1, 2)
    d2 = day[rep] + gap
    d2 = np.where(d2 > bounds[:, 1], day[rep] - gap, d2)
    ok = (d2 >= bounds[:, 0]) & (d2 <= bounds[:, 1])
    rep, d2 = rep[ok], d2[ok]
    base = Episodes(person, etype, day, muni, np.ones(len(person), bool))
    return base.plus(person[rep], etype[rep], d2, muni[rep], counted=True)


def single_episode(episodes: Episodes, n_persons: int) -> np.ndarray:
    """Per episode: its person has no other episode."""
    per_person = np.bincount(episodes.person, minlength=n_persons)
    return per_person[episodes.person] == 1


def draw_movers(frame: Frame, population: Population, episodes: Episodes,
                single: np.ndarray, rng: np.random.Generator
                ) -> tuple[Episodes, Addresses, np.ndarray]:
    """Everybody lives in their pool's municipality since before the extract, except movers:
    one episode in A, a move to B after it, one episode in B the next year, counted in both
    (docs/method.md, "Counting"). Returns the episodes, the addresses and the mask of the
    episodes that took part in a move."""
    n_pop = population.size
    addresses = Addresses(person=np.arange(n_pop), muni=population.person_muni.copy(),
                          moved_in=rng.integers(to_day("1940-01-01"), frame.d0 - 30, n_pop),
                          moved_out=np.full(n_pop, -1))
    ep_year = year_of(episodes.day)
    moves_from, moves_to, move_day = [], [], []
    moved = np.zeros(len(episodes), bool)
    for ti in range(len(plan_type_codes())):
        for y in frame.years[:-1]:
            free = single & ~moved & (episodes.type == ti)
            a = np.flatnonzero(free & (ep_year == y))
            b = np.flatnonzero(free & (ep_year == y + 1))
            k = min(len(a), len(b), int(np.ceil(len(a) * MOVER_SHARE)))
            if k == 0:
                continue
            a = rng.choice(a, k, replace=False)
            b = rng.choice(b, k, replace=False)
            keep = episodes.muni[a] != episodes.muni[b]
            a, b = a[keep], b[keep]
            moved[a] = moved[b] = True
            moves_from.append(a)
            moves_to.append(b)
            move_day.append((episodes.day[a] + episodes.day[b]) // 2)
    if not moves_from:
        return episodes, addresses, moved
    # The person of episode a takes over episode b (in B, the next year): the replaced
    # person simply has no plan, so every cell keeps its count.
    a, b, day = map(np.concatenate, (moves_from, moves_to, move_day))
    mover = episodes.person[a]
    person = episodes.person.copy()
    person[b] = mover
    moved_out = addresses.moved_out.copy()
    moved_out[mover] = day
    addresses = replace(addresses, moved_out=moved_out).plus(
        mover, episodes.muni[b], day, np.full(len(mover), -1))
    return replace(episodes, person=person), addresses, moved


def draw_emigrants(frame: Frame, episodes: Episodes, addresses: Addresses,
                   candidates: np.ndarray, rng: np.random.Generator
                   ) -> tuple[Episodes, Addresses, int]:
    """Single-episode persons who are not movers leave 20-200 days after their episode; a
    registration 5-40 days after leaving must not be counted. Returns the count too."""
    cand = np.flatnonzero(candidates)
    em = cand[share(rng, len(cand), EMIGRANT_SHARE, INVALID_ROWS_MIN)]
    leave = episodes.day[em] + rng.integers(20, 201, len(em))
    later = leave + rng.integers(5, 41, len(em))
    ok = later <= frame.d1
    em, leave, later = em[ok], leave[ok], later[ok]
    person = episodes.person[em]
    moved_out = addresses.moved_out.copy()
    moved_out[person] = leave  # their only address row is their pool row
    episodes = episodes.plus(person, episodes.type[em], later, episodes.muni[em],
                             counted=False)
    return episodes, replace(addresses, moved_out=moved_out), len(em)


def draw_outsiders(frame: Frame, population: Population, episodes: Episodes,
                   addresses: Addresses, rng: np.random.Generator
                   ) -> tuple[Episodes, Addresses, PlansWithoutStay, People]:
    """Persons outside the population, numbered after it: without a Danish address
    (episodes, never counted), with an unknown municipality code (quarantine), and with a
    plan but no stay anywhere."""
    n_ep = len(episodes)
    nxt = population.size
    # No Danish address at all: a few episodes of their own.
    k = max(INVALID_ROWS_MIN, int(n_ep * 0.001))
    person = np.arange(nxt, nxt + k)
    nxt += k
    year = rng.choice(frame.years, k)
    lo_hi = np.array([frame.year_bounds(v) for v in year])
    ok = lo_hi[:, 1] >= lo_hi[:, 0]
    day = np.where(ok, lo_hi[:, 0] + rng.integers(0, 300, k) % np.maximum(
        1, lo_hi[:, 1] - lo_hi[:, 0] + 1), lo_hi[:, 0])
    episodes = episodes.plus(person[ok], rng.integers(0, 3, k)[ok], day[ok],
                             rng.integers(0, len(frame.munis), k)[ok], counted=False)
    # An address with an unknown municipality code: a row rule for the quarantine.
    k = INVALID_ROWS_MIN
    addresses = addresses.plus(np.arange(nxt, nxt + k), np.full(k, -1),
                               np.full(k, NO_ADDRESS_SINCE), np.full(k, -1))
    nxt += k
    # Persons with a plan and no stay anywhere.
    k = max(INVALID_ROWS_MIN, int(n_ep * NO_STAY_PLAN_SHARE))
    no_stay = PlansWithoutStay(person=np.arange(nxt, nxt + k),
                               muni=rng.integers(0, len(frame.munis), k),
                               type=rng.integers(0, len(plan_type_codes()), k),
                               day=rng.integers(frame.d0, frame.d1 + 1, k))
    nxt += k
    addresses = addresses.plus(no_stay.person, no_stay.muni, np.full(k, NO_ADDRESS_SINCE),
                               np.full(k, -1))
    region = np.r_[frame.muni_region[population.person_muni],
                   rng.integers(0, frame.n_regions, nxt - population.size)]
    return episodes, addresses, no_stay, People(population.size, nxt, region)
