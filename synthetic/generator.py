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

National volume (seven years, ~97 M stays) does not fit in memory at once, so the extract
is made in two parts. `draw_skeleton` draws the small, global part from one seeded numpy
Generator, one entity after the other, each step a function of its own module that returns
a typed record:

    frame.draw_frame             the months, municipalities, regions, sending units
    persons.draw_targets         the true counts and the population they come from
    persons.draw_episodes        plan episodes (and repeats)
    persons.draw_movers          addresses, and movers counted in two municipalities
    persons.draw_emigrants       a registration after leaving the country
    persons.draw_outsiders       no address, an unknown municipality, plans with no stay
    stays.draw_episode_stays     each episode's own stay
    plans.draw_plans             the GOP plans, with their delays
    registrations.draw_registrations   plan codes and course markers in LPR

`month_tables` then draws the LPR rows of one month (lpr.py): the episode stays that start in
it and the background stays of the whole population, from a random stream of (seed, month)
alone, so months can be made one at a time, in any grouping, with the same result.

All arrays are vectorised; days are integers since 1970-01-01, times minutes of the day.
"""

from dataclasses import dataclass

import numpy as np

from synthetic.frame import Frame, draw_frame, share
from synthetic.knobs import (
    BACKGROUND_CODES,
    BACKGROUND_PROCEDURE_SHARE,
    MONTH_KEY_STRIDE,
    MONTH_KEYS,
)
from synthetic.lpr import MonthStays, lpr2_tables, lpr3_tables, quarantine_lpr3_month
from synthetic.persons import (
    People,
    draw_emigrants,
    draw_episodes,
    draw_movers,
    draw_outsiders,
    draw_targets,
    single_episode,
)
from synthetic.plans import cpr_tables, draw_plans, gop_tables
from synthetic.registrations import Codes, draw_registrations
from synthetic.stays import Stays, draw_background_stays, draw_episode_stays, stay_month

Tables = dict[str, dict]  # table key -> column -> column spec (synthetic/writer.py)


@dataclass(frozen=True)
class Facts:
    """What an extract holds, for the generation report (no person appears in it)."""

    persons_in_population: int
    plan_episodes: int
    movers: int
    emigrants: int


@dataclass(frozen=True)
class Skeleton:
    """What the months read of the global draw: the frame, the persons, the episodes' own
    stays with their month, and the codes and markers registered on those stays."""

    frame: Frame
    people: People
    background: float  # factor on the background stays' rates
    stays: Stays
    stay_month: np.ndarray
    codes: Codes
    markers: Codes


def draw_skeleton(scale: float, seed: int, first_month: str, last_month: str,
                  calibrate: bool = False, municipality_codes: list[str] | None = None,
                  ) -> tuple[Skeleton, Tables, Facts]:
    """The global part of the extract: the skeleton the months read, the GOP and CPR tables
    (written once), and the facts. Each step draws from one Generator in turn: the order of
    the steps is part of what makes the extract a function of its arguments."""
    rng = np.random.default_rng(seed)
    frame = draw_frame(rng, scale, seed, first_month, last_month, calibrate,
                       municipality_codes)
    target, population = draw_targets(frame, rng)
    episodes = draw_episodes(frame, population, target, rng)
    single = single_episode(episodes, population.size)
    episodes, addresses, moved = draw_movers(frame, population, episodes, single, rng)
    episodes, addresses, n_emigrants = draw_emigrants(frame, episodes, addresses,
                                                      single & ~moved, rng)
    episodes, addresses, no_stay, people = draw_outsiders(frame, population, episodes,
                                                          addresses, rng)
    stays, episode_stay = draw_episode_stays(frame, people, episodes, rng)
    plans = draw_plans(frame, episodes, stays, episode_stay, no_stay, rng)
    codes, markers = draw_registrations(frame, episodes, episode_stay, people.size, rng)
    tables = gop_tables(frame, plans, rng) | cpr_tables(addresses)
    facts = Facts(persons_in_population=population.size, plan_episodes=len(episodes),
                  movers=int(moved.sum()) // 2, emigrants=n_emigrants)
    skeleton = Skeleton(frame=frame, people=people, background=population.background,
                        stays=stays, stay_month=stay_month(stays), codes=codes,
                        markers=markers)
    return skeleton, tables, facts


@dataclass(frozen=True)
class Month:
    tables: Tables
    stays: int  # stays that start in the month


def month_tables(skeleton: Skeleton, month: int) -> Month:
    """The LPR rows of the stays that start in `month`: the plan episodes' own stays and
    background stays of the whole population, with their contacts, courses and
    registrations. Drawn from a random stream of (seed, month) alone, so a month's rows
    are the same however many months are generated together; keys are unique across
    months (each month has its own stride of MONTH_KEY_STRIDE). A row may fall in a later
    month than `month` (a contact or a registration after the stay's first day)."""
    frame = skeleton.frame
    d0, d1 = frame.month_days(month)
    rng = np.random.default_rng([frame.seed, month])
    own = np.flatnonzero(skeleton.stay_month == month)  # sorted: searchsorted maps into it
    stays = skeleton.stays.take(own).plus(
        draw_background_stays(frame, skeleton.people, skeleton.background, rng, d0, d1))
    codes = skeleton.codes.take(np.flatnonzero(skeleton.stay_month[skeleton.codes.stay]
                                               == month))
    markers = skeleton.markers.take(np.flatnonzero(
        skeleton.stay_month[skeleton.markers.stay] == month))
    # Background procedures unrelated to plans, on ordinary stays that have ended.
    bgp = np.flatnonzero(share(rng, len(stays), BACKGROUND_PROCEDURE_SHARE) & (stays.end >= 0))
    bgp_code = np.array(BACKGROUND_CODES, object)[rng.integers(0, len(BACKGROUND_CODES),
                                                                len(bgp))]
    s = MonthStays(
        month=month, d0=d0, d1=d1, stays=stays,
        codes=Codes(np.r_[np.searchsorted(own, codes.stay), bgp],
                    np.r_[codes.day, stays.end[bgp]],
                    np.r_[codes.code, bgp_code].astype(object)),
        markers=Codes(np.searchsorted(own, markers.stay), markers.day, markers.code),
        population_size=skeleton.people.population_size,
        quarantine_lpr3=month == quarantine_lpr3_month(frame))
    tables = lpr2_tables(frame, s, rng) | lpr3_tables(frame, s, rng)
    return Month(_month_keys(tables, month), len(stays))


def _month_keys(tables: Tables, month: int) -> Tables:
    """Move the month's LPR keys into its own stride, so keys are unique across months."""
    out: Tables = {}
    for key, spec in tables.items():
        out[key] = dict(spec)
        for name, (kind, ids, *rest) in spec.items():
            if kind in MONTH_KEYS:
                if len(ids) and int(ids.max()) >= MONTH_KEY_STRIDE:
                    raise ValueError(f"more than {MONTH_KEY_STRIDE:,} {kind} keys in "
                                     "one month: raise MONTH_KEY_STRIDE")
                out[key][name] = (kind, ids + month * MONTH_KEY_STRIDE, *rest)
    return out
