"""One month's LPR rows: the stays that start in the month (the plan episodes' and the
background's) as LPR2 admissions and visits or LPR3 contacts and courses, with the plan codes,
course markers and background procedures registered on them, and the month's share of the
rows that break a row rule (quarantine). Returned as column specs for the writer."""

from dataclasses import dataclass

import numpy as np

from synthetic.frame import Frame, month_index, rank_within, share
from synthetic.knobs import (
    ADMISSION,
    CHAIN_NEAR_MISS_SHARE,
    COURSE_LEVEL_PROCEDURE_SHARE,
    ER_VISIT,
    INVALID_ROWS_MIN,
    VIRTUAL_CONTACT_SHARE,
    VIRTUAL_CONTACT_TYPES,
    VISIT,
)
from synthetic.registrations import Codes
from synthetic.stays import Stays

MINUTES_PER_DAY = 1440
STAYS_PER_COURSE = 4  # a person's stays in start order group into courses of up to four


@dataclass(frozen=True)
class MonthStays:
    """The stays that start in one month, and the codes and markers registered on them
    (their `stay` indexes these stays)."""

    month: int  # months since 1970-01
    d0: int  # the month's first and last day inside the extract
    d1: int
    stays: Stays
    codes: Codes  # plan codes and background procedures
    markers: Codes
    population_size: int  # for the quarantine rows' persons
    quarantine_lpr3: bool  # this month carries LPR3's quarantine rows


def quarantine_lpr2_days(frame: Frame, s: MonthStays) -> tuple[int, int]:
    """Days of month `s` for LPR2's quarantine rows (discharge before admission, visits of
    no contact): in the extract's first month, when LPR2 is still in use then; else none
    (lo > hi)."""
    lo = frame.d0 + 10
    hi = min(frame.d1, int(frame.switch_day.min()) - 1, s.d1)
    if int(month_index(np.array([lo]))[0]) != s.month:
        return 1, 0
    return lo, hi


def quarantine_lpr3_month(frame: Frame) -> int:
    """The first month with LPR3: its quarantine rows (a contact ending before it starts,
    procedures on no contact) are there."""
    return int(month_index(np.array([max(frame.d0, int(frame.switch_day.min()))]))[0])


# -- LPR2 ---------------------------------------------------------------------------------
def lpr2_tables(frame: Frame, s: MonthStays, rng: np.random.Generator) -> dict[str, dict]:
    """t_adm (one row per admission, ER visit or course of visits), t_bes (one row per
    visit of a course) and t_sksube (codes on them)."""
    on = ~s.stays.lpr3
    sid = np.flatnonzero(on)
    st = s.stays
    kind = st.kind[sid]
    # Outpatient visits group into courses of up to four visits per person (t_adm
    # c_pattype '1' with t_bes rows); admissions ('0') and ER visits ('2') stand alone.
    vis = sid[kind == VISIT]
    vis = vis[np.lexsort((st.start[vis], st.person[vis]))]
    new_course = rank_within(st.person[vis]) % STAYS_PER_COURSE == 0
    course_of_visit = np.cumsum(new_course) - 1
    first = vis[new_course]
    n_courses = len(first)
    last_day = np.full(n_courses, 0)
    np.maximum.at(last_day, course_of_visit, st.start[vis])
    solo = sid[kind != VISIT]
    # recnum per t_adm row: courses first, then solo stays; keys are shuffled.
    n_adm = n_courses + len(solo)
    keys = rng.permutation(n_adm)
    recnum_of_stay = np.full(len(st), -1)
    recnum_of_stay[vis] = keys[course_of_visit]
    recnum_of_stay[solo] = keys[n_courses:]
    adm_person = np.r_[st.person[first], st.person[solo]]
    pattype = np.r_[np.full(n_courses, 1), np.where(st.kind[solo] == ADMISSION, 0, 2)]
    d_ind = np.r_[st.start[first], st.start[solo]]
    d_ud = np.r_[last_day, np.where(st.kind[solo] == ER_VISIT, st.start[solo], st.end[solo])]
    # A course whose last visit is in the extract's last two months is still open.
    open_course = (d_ud[:n_courses] > frame.d1 - 60) & (rng.random(n_courses) < 0.5)
    d_ud[:n_courses][open_course] = -1
    unit = np.r_[st.unit[first], st.unit[solo]]
    # Quarantine cases: discharge before admission (extra background rows).
    # Placed before the first LPR3 switch, when the extract reaches back that far.
    # In one month only (`quarantine_lpr2_days`), so a whole extract has INVALID_ROWS_MIN.
    lo, hi = quarantine_lpr2_days(frame, s)
    k = INVALID_ROWS_MIN if hi >= lo else 0
    bad_p = rng.integers(0, s.population_size, k)
    bad_in = rng.integers(lo, hi + 1, k)
    adm_person = np.r_[adm_person, bad_p]
    pattype = np.r_[pattype, np.zeros(k, np.int64)]
    d_ind = np.r_[d_ind, bad_in]
    d_ud = np.r_[d_ud, bad_in - rng.integers(1, 5, k)]
    unit = np.r_[unit, rng.integers(0, frame.n_units, k)]
    keys_all = np.r_[keys, n_adm + np.arange(k)]
    hour = rng.integers(0, 24, len(adm_person))
    tables: dict[str, dict] = {}
    tables["lpr2__t_adm"] = {
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
    tables["lpr2__t_bes"] = {
        "v_recnum": ("recnum", np.r_[recnum_of_stay[vis], n_adm + k + np.arange(k)]),
        "d_ambdto": ("date", np.r_[st.start[vis], orphan]),
    }
    # t_sksube: plan codes, course markers and background procedures on LPR2 stays.
    codes = s.codes.take(np.flatnonzero(on[s.codes.stay]))
    marks = s.markers.take(np.flatnonzero(on[s.markers.stay]))
    tables["lpr2__t_sksube"] = {
        "v_recnum": ("recnum", np.r_[recnum_of_stay[codes.stay], recnum_of_stay[marks.stay]]),
        "c_opr": ("object", np.r_[codes.code, marks.code]),
        "d_odto": ("date", np.r_[codes.day, marks.day]),
    }
    return tables


# -- LPR3 ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PhysicalContacts:
    """The contacts of LPR3 stays (times in minutes since 1970-01-01). `stay` indexes the
    month's LPR3 stays; per stay, `first_start` and `first_end` are its first contact's."""

    stay: np.ndarray
    start: np.ndarray
    end: np.ndarray
    last: np.ndarray  # the stay's last contact
    open: np.ndarray  # no end yet
    acute: np.ndarray  # 1: ATA1, 0: ATA3
    first_start: np.ndarray
    first_end: np.ndarray


def _physical_contacts(st: Stays, rng: np.random.Generator) -> _PhysicalContacts:
    """An outpatient visit is one contact of 15-120 minutes in clinic hours; an ER visit one
    of 1-5 hours at any time, which may cross midnight; an admission an ER contact of 1-4 h,
    then one or two ward contacts chained by gaps under 4 h, ending on the discharge day at a
    time that makes the stay at least 12 h (docs/method.md, "Stays")."""
    kind, start_day, end_day = st.kind, st.start, st.end
    n = len(st)
    ongoing = end_day < 0
    s_min = np.where(kind == VISIT, rng.integers(8 * 60, 15 * 60, n), rng.integers(0, 1380, n))
    s_abs = start_day * MINUTES_PER_DAY + s_min
    dur = np.where(kind == VISIT, rng.integers(15, 121, n), rng.integers(60, 301, n))
    adm = kind == ADMISSION
    end_min = rng.integers(8 * 60, 16 * 60, n)
    end_abs = np.where(adm, np.maximum(end_day * MINUTES_PER_DAY + end_min,
                                       s_abs + 12 * 60 + 30), s_abs + dur)
    # A same-day admission may not fit 12 hours in its day: start it earlier that day.
    late = adm & (end_abs // MINUTES_PER_DAY > end_day) & ~ongoing
    s_abs = np.where(late, end_day * MINUTES_PER_DAY + 6 * 60 + rng.integers(0, 60, n), s_abs)
    end_abs = np.where(late, end_day * MINUTES_PER_DAY + 19 * 60 + rng.integers(0, 120, n),
                       end_abs)
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
    parts = [  # (stay, start, end, is the stay's last contact)
        (np.arange(n), s_abs, c1_end, ~adm),
        (np.flatnonzero(adm), c2_start[adm], c2_end[adm], adm[adm] & ~three[adm]),
        (np.flatnonzero(three), c3_start[three], end_abs[three], np.ones(three.sum(), bool)),
    ]
    stay, start, end, last = (np.concatenate([p[i] for p in parts]) for i in range(4))
    # The first contact of an ER visit or an admission is acute (ATA1), the rest planned.
    acute = ((kind[stay] != VISIT) & (start == s_abs[stay])).astype(np.int64)
    return _PhysicalContacts(stay=stay, start=start, end=end, last=last,
                             open=ongoing[stay] & last, acute=acute,
                             first_start=s_abs, first_end=c1_end)


def _courses(st: Stays, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Courses (forloeb): up to four stays of a person in start order. Returns each stay's
    course key and each course's person and first day."""
    n = len(st)
    order = np.lexsort((st.start, st.person))
    rank = np.empty(n, np.int64)
    rank[order] = rank_within(st.person[order])
    new_course = np.zeros(n, bool)
    new_course[order] = rank[order] % STAYS_PER_COURSE == 0
    course_seq = np.empty(n, np.int64)
    course_seq[order] = np.cumsum(new_course[order]) - 1
    n_fl = int(new_course.sum())
    stay_course = rng.permutation(n_fl)[course_seq]
    course_person = np.empty(n_fl, np.int64)
    course_start = np.full(n_fl, np.iinfo(np.int64).max)
    course_person[stay_course] = st.person
    np.minimum.at(course_start, stay_course, st.start)
    return stay_course, course_person, course_start


@dataclass(frozen=True)
class _Contacts:
    """Every LPR3 contact row of the month before keys: the physical contacts, then the
    virtual ones, the near misses and the broken ones."""

    stay: np.ndarray
    start: np.ndarray
    end: np.ndarray
    open: np.ndarray
    type: np.ndarray  # 0: ALCA00 (physical), 1-5: VIRTUAL_CONTACT_TYPES
    acute: np.ndarray


def _all_contacts(st: Stays, pc: _PhysicalContacts, quarantine: bool,
                  rng: np.random.Generator) -> _Contacts:
    """Virtual contacts (not physical attendance: never a stay), near-miss chains (a second
    same-day contact 4 h 01 min or more after the first: two visits), and, in the quarantine
    month, contacts that end before they start."""
    n = len(st)
    nv = int(n * VIRTUAL_CONTACT_SHARE)
    v_stay = rng.integers(0, max(n, 1), nv) if n else np.zeros(0, np.int64)
    v_start = (st.start[v_stay] + rng.integers(0, 30, nv)) * MINUTES_PER_DAY + rng.integers(
        480, 960, nv)
    visits = np.flatnonzero(st.kind == VISIT)
    nm = visits[share(rng, len(visits), CHAIN_NEAR_MISS_SHARE)] if len(visits) else visits
    nm_start = pc.first_end[nm] + 241 + rng.integers(0, 60, len(nm))
    k = INVALID_ROWS_MIN if n and quarantine else 0
    bad = rng.integers(0, max(n, 1), k)
    n_other = nv + len(nm) + k
    return _Contacts(
        stay=np.r_[pc.stay, v_stay, nm, bad],
        start=np.r_[pc.start, v_start, nm_start, pc.first_start[bad]],
        end=np.r_[pc.end, v_start + rng.integers(10, 40, nv), nm_start + 30,
                  pc.first_start[bad] - rng.integers(MINUTES_PER_DAY, 3 * MINUTES_PER_DAY, k)],
        open=np.r_[pc.open, np.zeros(n_other, bool)],
        type=np.r_[np.zeros(len(pc.stay), np.int64), rng.integers(1, 6, nv),
                   np.zeros(len(nm) + k, np.int64)],
        acute=np.r_[pc.acute, np.zeros(n_other, np.int64)],
    )


def lpr3_tables(frame: Frame, s: MonthStays, rng: np.random.Generator) -> dict[str, dict]:
    """kontakter, forloeb, procedurer_andre and forloebsmarkoerer of the month's LPR3 stays."""
    sid = np.flatnonzero(s.stays.lpr3)
    st = s.stays.take(sid)
    pc = _physical_contacts(st, rng)
    stay_course, course_person, course_start = _courses(st, rng)
    c = _all_contacts(st, pc, s.quarantine_lpr3, rng)
    keep = c.start // MINUTES_PER_DAY <= frame.d1
    n_c = len(c.stay)
    c_key = rng.permutation(n_c)
    # The contact a registration hangs on: the stay's last physical contact (per stay of
    # the month, -1 for an LPR2 stay).
    n_pc = len(pc.stay)
    contact_of_stay = np.full(len(s.stays), -1)
    contact_of_stay[sid[pc.stay[pc.last]]] = c_key[:n_pc][pc.last]
    course_of_stay = np.full(len(s.stays), -1)
    course_of_stay[sid] = stay_course
    tables: dict[str, dict] = {}
    tables["lpr3__kontakter"] = {
        "dw_ek_kontakt": ("kontakt", c_key[keep]),
        "dw_ek_forloeb": ("forloeb", stay_course[c.stay][keep]),
        "cpr_encrypted": ("person", st.person[c.stay][keep]),
        "dato_start": ("date", (c.start // MINUTES_PER_DAY)[keep]),
        "tidspunkt_start": ("time", (c.start % MINUTES_PER_DAY)[keep]),
        "dato_slut": ("date", (c.end // MINUTES_PER_DAY)[keep], ~c.open[keep]),
        "tidspunkt_slut": ("time", (c.end % MINUTES_PER_DAY)[keep], ~c.open[keep]),
        "kontakttype": ("pick", ("ALCA00",) + VIRTUAL_CONTACT_TYPES, c.type[keep]),
        "prioritet": ("pick", ("ATA3", "ATA1"), c.acute[keep]),
        "sorenhed_ans": ("sor", st.unit[c.stay][keep]),
    }
    tables["lpr3__forloeb"] = {
        "dw_ek_forloeb": ("forloeb", np.arange(len(course_person))),
        "cpr_encrypted": ("person", course_person),
        "dato_start": ("date", course_start),
    }
    tables["lpr3__procedurer_andre"] = _procedures(frame, s, contact_of_stay, course_of_stay,
                                                   n_c, rng)
    marks = s.markers.take(np.flatnonzero(s.stays.lpr3[s.markers.stay]))
    tables["lpr3__forloebsmarkoerer"] = {
        "dw_ek_forloeb": ("forloeb", course_of_stay[marks.stay]),
        "markoer": ("object", marks.code),
        "dato_markoer": ("date", marks.day),
        "tidspunkt_markoer": ("time", rng.integers(0, MINUTES_PER_DAY, len(marks.stay))),
    }
    return tables


def _procedures(frame: Frame, s: MonthStays, contact_of_stay: np.ndarray,
                course_of_stay: np.ndarray, n_contacts: int,
                rng: np.random.Generator) -> dict:
    """Procedures on the stay's last contact, or (a tenth) on the course only; in the
    quarantine month also some on a contact that does not exist."""
    codes = s.codes.take(np.flatnonzero(s.stays.lpr3[s.codes.stay]))
    course_level = rng.random(len(codes.stay)) < COURSE_LEVEL_PROCEDURE_SHARE
    contact = np.where(course_level, -1, contact_of_stay[codes.stay])
    course = np.where(course_level, course_of_stay[codes.stay], -1)
    # Quarantine: procedures on a contact that does not exist (no key of any month:
    # a month's keys are its stride plus fewer than n_contacts).
    k = INVALID_ROWS_MIN if s.quarantine_lpr3 else 0
    contact = np.r_[contact, n_contacts + np.arange(k)]
    course = np.r_[course, np.full(k, -1)]
    code = np.r_[codes.code, np.array(["ZZ0175X"] * k, object)]
    day = np.r_[codes.day, rng.integers(s.d0, s.d1 + 1, k)]
    unit = np.r_[s.stays.unit[codes.stay], rng.integers(0, frame.n_units, k)]
    n = len(contact)
    return {
        "procedureregistrering_id": ("procedure", rng.permutation(n)),
        "dw_ek_kontakt": ("kontakt", np.maximum(contact, 0), contact >= 0),
        "dw_ek_forloeb": ("forloeb", np.maximum(course, 0), course >= 0),
        "procedurekode": ("object", code),
        "proceduretype": ("pick", ("P",), np.zeros(n, np.int64)),
        "dato_start": ("date", day),
        "tidspunkt_start": ("time", rng.integers(0, MINUTES_PER_DAY, n)),
        "sorenhed_pro": ("sor", unit),
    }
