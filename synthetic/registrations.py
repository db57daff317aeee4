"""What LPR registers on an episode's stay: its plan code (product 2 counts these) and the
specialiseret course markers AWG1/AWX21, with the cases the method must handle: markers
alone, markers next to a plan code, a start without a stop, repeats within 14 days, the bare
parent code, invalid ZZ0175* codes and lower-case or padded codes."""

from dataclasses import dataclass

import numpy as np

from synthetic.frame import Frame, share
from synthetic.knobs import (
    ALMEN_CODE_WEIGHTS,
    ALMEN_CODES,
    BARE_PARENT_SHARE,
    INVALID_CODES,
    INVALID_ROWS_MIN,
    MARKER_NEAR_PLAN_SHARE,
    MARKER_ONLY_SHARE_OF_SPEC,
    MESSY_CODE_SHARE,
    REPEAT_WITHIN_14_SHARE,
    START_WITHOUT_STOP_SHARE,
    TYPE_CODE,
    by_type,
    type_index,
)
from synthetic.persons import Episodes, single_episode


@dataclass(frozen=True)
class Codes:
    """Codes registered on stays: (stay index, day, code)."""

    stay: np.ndarray
    day: np.ndarray
    code: np.ndarray  # object array of str

    @staticmethod
    def join(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> "Codes":
        stay, day, code = (np.concatenate(x) for x in zip(*parts, strict=True))
        return Codes(stay, day, code.astype(object))

    def take(self, index: np.ndarray) -> "Codes":
        return Codes(self.stay[index], self.day[index], self.code[index])


@dataclass(frozen=True)
class _Registered:
    """The episodes that have a stay, with what their registrations need."""

    stay: np.ndarray
    type: np.ndarray
    day: np.ndarray
    code: np.ndarray  # the plan code of each
    single: np.ndarray  # the person has no other episode

    def is_type(self, plan_type: str) -> np.ndarray:
        return self.type == type_index(plan_type)


def _plan_codes(episodes: Episodes, episode_stay: np.ndarray, n_persons: int,
                rng: np.random.Generator) -> _Registered:
    """Each type's code; almen spread over the parent's X and X1-X4 children."""
    ep = np.flatnonzero(episode_stay >= 0)
    etype = episodes.type[ep]
    code = np.array(by_type(TYPE_CODE))[etype].astype(object)
    almen = etype == type_index("almen")
    code[almen] = np.array(ALMEN_CODES)[
        rng.choice(len(ALMEN_CODES), almen.sum(), p=ALMEN_CODE_WEIGHTS)]
    return _Registered(stay=episode_stay[ep], type=etype, day=episodes.day[ep], code=code,
                       single=single_episode(episodes, n_persons)[ep])


def _course_markers(frame: Frame, r: _Registered, rng: np.random.Generator
                    ) -> tuple[np.ndarray, list]:
    """Specialiseret course markers. Returns the mask of episodes registered by markers only
    (they get no plan code) and the markers (stay, day, code)."""
    spec = r.is_type("specialiseret")
    # Specialiseret registered only by AWG1 + AWX21 (seed 000's note): a person with
    # no other episode, so no plan code falls in the -14/+60 window of the start.
    cand = np.flatnonzero(spec & r.single)
    marker_only = np.zeros(len(r.stay), bool)
    marker_only[cand[share(rng, len(cand), MARKER_ONLY_SHARE_OF_SPEC, INVALID_ROWS_MIN)]] = True
    # The stop 20-90 days later, but inside the extract: a stop cut off by the end of
    # the extract would turn a counted start into a start without a stop.
    stop_day = np.minimum(r.day[marker_only] + rng.integers(20, 91, marker_only.sum()),
                          frame.d1)
    marks = [(r.stay[marker_only], r.day[marker_only], "AWG1"),
             (r.stay[marker_only], stop_day, "AWX21")]
    # Start and stop next to a plan code: excluded (-14/+60), counts once via the code.
    coded_spec = np.flatnonzero(spec & ~marker_only)
    near = coded_spec[share(rng, len(coded_spec), MARKER_NEAR_PLAN_SHARE, INVALID_ROWS_MIN)]
    near_day = r.day[near] + rng.integers(1, 11, len(near))
    marks += [(r.stay[near], near_day, "AWG1"), (r.stay[near], near_day + 30, "AWX21")]
    # A start without a stop: never counts. Only for a person with no other episode: in
    # LPR2 any later stop of the person completes a start (docs/method.md), and a stop of
    # another episode would make it count (seen in the full calibration run).
    coded_single = np.flatnonzero(spec & ~marker_only & r.single)
    lone = coded_single[share(rng, len(coded_single), START_WITHOUT_STOP_SHARE,
                              INVALID_ROWS_MIN)]
    marks.append((r.stay[lone], r.day[lone] + rng.integers(100, 200, len(lone)), "AWG1"))
    return marker_only, marks


def _extra_codes(r: _Registered, coded: np.ndarray, rng: np.random.Generator) -> list:
    """Codes beside each episode's own: repeats, the bare parent, invalid codes."""
    n = len(r.stay)
    # The same code again within 14 days: does not count (14-day rule).
    rep = np.flatnonzero(coded & share(rng, n, REPEAT_WITHIN_14_SHARE, INVALID_ROWS_MIN))
    extra = [(r.stay[rep], r.day[rep] + rng.integers(1, 14, len(rep)), r.code[rep])]
    # The bare parent code: valid, no type, counted nowhere (a quality figure).
    # Not on a marker-only episode: the parent code is a plan code and would stop the start
    # from qualifying (docs/method.md, "Start codes"), which would change a count.
    bare = np.flatnonzero(coded & share(rng, n, BARE_PARENT_SHARE, INVALID_ROWS_MIN))
    extra.append((r.stay[bare], r.day[bare], np.full(len(bare), "ZZ0175", object)))
    # Invalid ZZ0175* codes: quarantined, never counted.
    bad = rng.choice(n, min(n, max(INVALID_ROWS_MIN, n // 2000)), replace=False)
    extra.append((r.stay[bad], r.day[bad], np.array(INVALID_CODES, object)[
        rng.integers(0, len(INVALID_CODES), len(bad))]))
    return extra


def _messy(codes: Codes, rng: np.random.Generator) -> Codes:
    """Lower-case or padded codes: valid after trimming and upper-casing (docs/method.md)."""
    code = codes.code.copy()
    messy = np.flatnonzero(share(rng, len(code), MESSY_CODE_SHARE, INVALID_ROWS_MIN))
    lower = rng.random(len(messy)) < 0.5
    code[messy[lower]] = [c.lower() for c in code[messy[lower]]]
    code[messy[~lower]] = [f" {c} " for c in code[messy[~lower]]]
    return Codes(codes.stay, codes.day, code)


def draw_registrations(frame: Frame, episodes: Episodes, episode_stay: np.ndarray,
                       n_persons: int, rng: np.random.Generator) -> tuple[Codes, Codes]:
    """The plan codes and the course markers of the episodes that have a stay."""
    r = _plan_codes(episodes, episode_stay, n_persons, rng)
    marker_only, marks = _course_markers(frame, r, rng)
    coded = ~marker_only
    own = (r.stay[coded], r.day[coded], r.code[coded])
    plan_codes = _messy(Codes.join([own, *_extra_codes(r, coded, rng)]), rng)
    markers = Codes(stay=np.concatenate([m[0] for m in marks]),
                    day=np.concatenate([m[1] for m in marks]),
                    code=np.concatenate([np.full(len(m[0]), m[2], object) for m in marks]))
    return plan_codes, markers
