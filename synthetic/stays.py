"""Hospital stays: the plan episodes' own and the background stays that compete with them in
the linkage. A stay is an outpatient visit, an ER visit or an admission (knobs: VISIT,
ER_VISIT, ADMISSION), at a sending unit, in LPR2 or LPR3 by its region's switch day."""

from dataclasses import dataclass

import numpy as np

from synthetic.frame import Frame, month_index
from synthetic.knobs import (
    ADMISSION,
    ADMISSION_SHARE,
    ADMISSIONS_PER_PERSON_YEAR,
    ER_SHARE_OF_VISITS,
    ER_VISIT,
    OUTPATIENT_VISITS_PER_PERSON_YEAR,
    UNITS_PER_REGION,
    VISIT,
    by_type,
)
from synthetic.persons import Episodes, People


@dataclass(frozen=True)
class Stays:
    person: np.ndarray
    kind: np.ndarray
    start: np.ndarray  # first day
    end: np.ndarray  # last day; -1: still admitted at the end of the extract
    unit: np.ndarray
    lpr3: np.ndarray  # registered in LPR3 (else LPR2)

    def __len__(self) -> int:
        return len(self.person)

    def take(self, index: np.ndarray) -> "Stays":
        return Stays(self.person[index], self.kind[index], self.start[index],
                     self.end[index], self.unit[index], self.lpr3[index])

    def plus(self, other: "Stays") -> "Stays":
        return Stays(*(np.r_[getattr(self, f), getattr(other, f)]
                       for f in ("person", "kind", "start", "end", "unit", "lpr3")))


def admission_length(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days from admission to discharge: 5 % same-day, else 1 + geometric with mean ~4 days,
    capped at 60."""
    length = np.minimum(rng.geometric(0.25, n), 60)
    return np.where(rng.random(n) < 0.05, 0, length)


def units_and_register(frame: Frame, people: People, rng: np.random.Generator,
                       person: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A unit of the person's region mostly, a tenth treated elsewhere; LPR3 from the day
    that region switched."""
    n = len(person)
    region = people.region[person]
    other = rng.random(n) < 0.1
    region = np.where(other, rng.integers(0, frame.n_regions, n), region)
    unit = region * UNITS_PER_REGION + rng.integers(0, UNITS_PER_REGION, n)
    return unit, start >= frame.switch_day[region]


def draw_episode_stays(frame: Frame, people: People, episodes: Episodes,
                       rng: np.random.Generator) -> tuple[Stays, np.ndarray]:
    """The stay of each plan episode: an outpatient visit on the episode's day, or an
    admission ending on it. An episode whose stay starts before the extract has none.
    Returns the stays and, per episode, the index of its stay (-1: none)."""
    n_ep = len(episodes)
    adm = rng.random(n_ep) < np.array(by_type(ADMISSION_SHARE))[episodes.type]
    length = admission_length(rng, n_ep)
    start = np.where(adm, episodes.day - length, episodes.day)
    idx = np.flatnonzero(start >= frame.d0)
    episode_stay = np.full(n_ep, -1)
    episode_stay[idx] = np.arange(len(idx))
    person, stay_start = episodes.person[idx], start[idx]
    unit, lpr3 = units_and_register(frame, people, rng, person, stay_start)
    stays = Stays(person=person, kind=np.where(adm, ADMISSION, VISIT)[idx], start=stay_start,
                  end=episodes.day[idx], unit=unit, lpr3=lpr3)
    return stays, episode_stay


def draw_background_stays(frame: Frame, people: People, background: float,
                          rng: np.random.Generator, d0: int, d1: int) -> Stays:
    """Outpatient visits, ER visits and admissions of the whole population that start
    between d0 and d1, at the yearly rates of the knobs (times `background`)."""
    n_pop = people.population_size
    rate = (d1 - d0 + 1) / 365.25 * background
    n_vis = rng.poisson(OUTPATIENT_VISITS_PER_PERSON_YEAR * rate, n_pop)
    n_adm = rng.poisson(ADMISSIONS_PER_PERSON_YEAR * rate, n_pop)
    vis_person = np.repeat(np.arange(n_pop), n_vis)
    adm_person = np.repeat(np.arange(n_pop), n_adm)
    vis_day = rng.integers(d0, d1 + 1, len(vis_person))
    adm_start = rng.integers(d0, d1 + 1, len(adm_person))
    adm_end = adm_start + admission_length(rng, len(adm_person))
    person = np.r_[vis_person, adm_person]
    kind = np.r_[np.where(rng.random(len(vis_person)) < ER_SHARE_OF_VISITS, ER_VISIT, VISIT),
                 np.full(len(adm_person), ADMISSION)]
    start = np.r_[vis_day, adm_start]
    # An admission still going on at the end of the extract has no end yet.
    end = np.r_[vis_day, np.where(adm_end > frame.d1, -1, adm_end)]
    unit, lpr3 = units_and_register(frame, people, rng, person, start)
    return Stays(person, kind, start, end, unit, lpr3)


def stay_month(stays: Stays) -> np.ndarray:
    """The month each stay starts in: the month whose files its LPR rows are drawn with."""
    return month_index(stays.start)
