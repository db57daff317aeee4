"""Plans in the GOP register: one per episode (a few missing), sent with a delay relative to
the episode's stay shaped like seed 003, plus step 1's duplicates, step 5's supplements and
the plans of persons without a stay. D-GOP before a unit's G-GOP day, G-GOP after."""

from dataclasses import dataclass

import numpy as np

from synthetic.frame import Frame, share
from synthetic.knobs import (
    ADMISSION,
    DELAY_CATEGORIES,
    DGOP_TYPE_CODE,
    DUPLICATE_PLAN_SHARE,
    GGOP_TYPE_CODE,
    INVALID_ROWS_MIN,
    NO_PLAN_SHARE,
    SUPPLEMENT_PLAN_SHARE,
    by_type,
)
from synthetic.persons import Addresses, Episodes, PlansWithoutStay
from synthetic.stays import Stays

WORKDAY_SECONDS = (7 * 3600, 17 * 3600)  # plans are sent 07:00-17:00


@dataclass(frozen=True)
class Plans:
    person: np.ndarray
    type: np.ndarray
    day: np.ndarray
    second: np.ndarray  # second of the day it was sent
    unit: np.ndarray  # sending unit
    muni: np.ndarray  # receiving municipality


def draw_delays(episodes: Episodes, stays: Stays, episode_stay: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """The day each episode's plan is sent, by DELAY_CATEGORIES (outpatient or admission)."""
    n_ep = len(episodes)
    has_stay = episode_stay >= 0
    stay = np.where(has_stay, episode_stay, 0)
    adm = has_stay & (stays.kind[stay] == ADMISSION)
    start = np.where(has_stay, stays.start[stay], episodes.day)
    length = episodes.day - start
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
    sent = episodes.day + delay
    # An admission of one day has no "day before discharge" inside it: sent before it.
    before = c["before_stay"]
    sent[before] = start[before] - rng.integers(1, 6, before.sum())
    return sent


def draw_plans(frame: Frame, episodes: Episodes, stays: Stays, episode_stay: np.ndarray,
               no_stay: PlansWithoutStay, rng: np.random.Generator) -> Plans:
    sent = draw_delays(episodes, stays, episode_stay, rng)
    has_plan = share(rng, len(episodes), 1 - NO_PLAN_SHARE)
    has_stay = episode_stay >= 0
    unit = np.where(has_stay, stays.unit[np.where(has_stay, episode_stay, 0)],
                    rng.integers(0, frame.n_units, len(episodes)))
    person = episodes.person[has_plan]
    ptype = episodes.type[has_plan]
    pday = sent[has_plan]
    punit = unit[has_plan]
    pmuni = episodes.muni[has_plan]
    psec = rng.integers(*WORKDAY_SECONDS, len(person))

    # Step 1's duplicates: same person, sender and day, sent later.
    dup = np.flatnonzero(share(rng, len(person), DUPLICATE_PLAN_SHARE, INVALID_ROWS_MIN))
    # Step 5's supplements: another plan 1-4 days later, half from another sender.
    sup = np.flatnonzero(share(rng, len(person), SUPPLEMENT_PLAN_SHARE, INVALID_ROWS_MIN))
    sup_unit = np.where(rng.random(len(sup)) < 0.5, punit[sup],
                        rng.integers(0, frame.n_units, len(sup)))
    n_other = len(sup) + len(no_stay.day)
    return Plans(
        person=np.r_[person, person[dup], person[sup], no_stay.person],
        type=np.r_[ptype, ptype[dup], ptype[sup], no_stay.type],
        day=np.r_[pday, pday[dup], pday[sup] + rng.integers(1, 5, len(sup)), no_stay.day],
        second=np.r_[psec, np.minimum(psec[dup] + rng.integers(0, 7200, len(dup)), 86399),
                     rng.integers(*WORKDAY_SECONDS, n_other)],
        unit=np.r_[punit, punit[dup], sup_unit,
                   rng.integers(0, frame.n_units, len(no_stay.day))],
        muni=np.r_[pmuni, pmuni[dup], pmuni[sup], no_stay.muni],
    )


def gop_tables(frame: Frame, plans: Plans, rng: np.random.Generator) -> dict[str, dict]:
    """D-GOP and G-GOP rows (column specs for the writer), one plan id each, shuffled."""
    ids = rng.permutation(len(plans.person))
    dgop = plans.day < frame.unit_ggop_day[plans.unit]
    d, g = np.flatnonzero(dgop), np.flatnonzero(~dgop)
    return {
        "gop__t_dgop": {
            "k_brevid": ("plan", ids[d]),
            "v_cpr_encrypted": ("person", plans.person[d]),
            "d_afsendt": ("date", plans.day[d]),
            "v_afsendt_tid": ("time", plans.second[d] // 60),
            "c_afsender": ("sgh_afd", plans.unit[d]),
            "c_modtager_kom": ("muni", plans.muni[d]),
            "c_goptype": ("pick", by_type(DGOP_TYPE_CODE), plans.type[d]),
        },
        "gop__t_ggop": {
            "brev_id": ("plan", ids[g]),
            "cpr_encrypted": ("person", plans.person[g]),
            "afsendt_tidspunkt": ("timestamp", plans.day[g], plans.second[g]),
            "afsender_sor": ("sor", plans.unit[g]),
            "modtager_kommunekode": ("muni", plans.muni[g]),
            "plantype": ("pick", by_type(GGOP_TYPE_CODE), plans.type[g]),
        },
    }


def cpr_tables(addresses: Addresses) -> dict[str, dict]:
    return {
        "cpr__t_adresse": {
            "cpr_encrypted": ("person", addresses.person),
            "c_kom": ("muni", addresses.muni),
            "d_tilflyt_dato": ("date", addresses.moved_in),
            "d_fraflyt_dato": ("date", addresses.moved_out, addresses.moved_out != -1),
        },
    }
