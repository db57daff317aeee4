"""Each step of the generator keeps its promise, checked on its own record (synthetic/*.py):
the true counts are the drawn episodes, movers and emigrants have the address history that
makes them count as docs/method.md says, stays end where their episode is counted, and
LPR3 admissions are chains of contacts that make one stay."""

import numpy as np
import pytest

from synthetic.frame import draw_frame, year_of
from synthetic.knobs import ADMISSION, VISIT
from synthetic.lpr import _physical_contacts
from synthetic.persons import (
    draw_emigrants,
    draw_episodes,
    draw_movers,
    draw_outsiders,
    draw_targets,
    single_episode,
)
from synthetic.stays import draw_episode_stays

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def drawn():
    """The global draw up to the stays, over three whole years (movers need two)."""
    rng = np.random.default_rng(7)
    frame = draw_frame(rng, 0.02, 7, "2016-01", "2018-12", False, None)
    target, population = draw_targets(frame, rng)
    base = draw_episodes(frame, population, target, rng)
    single = single_episode(base, population.size)
    moved_eps, addresses, moved = draw_movers(frame, population, base, single, rng)
    emig_eps, addresses, n_emigrants = draw_emigrants(frame, moved_eps, addresses,
                                                      single & ~moved, rng)
    episodes, addresses, no_stay, people = draw_outsiders(frame, population, emig_eps,
                                                          addresses, rng)
    stays, episode_stay = draw_episode_stays(frame, people, episodes, rng)
    return dict(frame=frame, target=target, population=population, base=base,
                moved_eps=moved_eps, moved=moved, emig_eps=emig_eps, n_emigrants=n_emigrants,
                episodes=episodes, addresses=addresses, no_stay=no_stay, people=people,
                stays=stays, episode_stay=episode_stay)


def test_base_episodes_are_the_true_counts(drawn):
    """One distinct person of the municipality's pool per episode within a cell: the distinct
    persons per municipality x type x year are the target, cell for cell."""
    frame, base, target, pop = drawn["frame"], drawn["base"], drawn["target"], drawn["population"]
    assert target.sum() > 500
    year = year_of(base.day) - frame.years[0]
    got = np.zeros_like(target)
    cells = {(int(m), int(t), int(y), int(p))
             for m, t, y, p in zip(base.muni, base.type, year, base.person, strict=True)}
    for m, t, y, _ in cells:
        got[m, t, y] += 1
    np.testing.assert_array_equal(got, target)
    assert (pop.person_muni[base.person] == base.muni).all()
    assert base.counted.all()
    assert len(base) > target.sum(), "no repeat episodes"


def test_a_mover_has_an_episode_in_each_municipality_and_the_address_to_match(drawn):
    frame, eps, addr, moved = drawn["frame"], drawn["moved_eps"], drawn["addresses"], drawn["moved"]
    movers = np.unique(eps.person[moved])
    assert len(movers) > 0 and moved.sum() == 2 * len(movers)
    for p in movers:
        mine = np.flatnonzero(moved & (eps.person == p))
        first, second = sorted(mine, key=lambda i: eps.day[i])
        assert year_of(eps.day[second]) == year_of(eps.day[first]) + 1
        assert eps.muni[first] != eps.muni[second]
        rows = np.flatnonzero(addr.person == p)
        assert len(rows) == 2
        old, new = sorted(rows, key=lambda r: addr.moved_in[r])
        assert addr.muni[old] == eps.muni[first] and addr.muni[new] == eps.muni[second]
        # Lived in A on the first episode's day and in B on the second's.
        assert addr.moved_in[old] <= eps.day[first] < addr.moved_out[old] == addr.moved_in[new]
        assert addr.moved_in[new] <= eps.day[second] and addr.moved_out[new] == -1
    assert frame.d0 > addr.moved_in[: drawn["population"].size].max()


def test_an_emigrant_has_a_registration_after_leaving_that_is_not_counted(drawn):
    before, after, addr = drawn["moved_eps"], drawn["emig_eps"], drawn["addresses"]
    n = drawn["n_emigrants"]
    assert n >= 2 and len(after) == len(before) + n
    added = np.arange(len(before), len(after))
    assert not after.counted[added].any()
    for i in added:
        p = after.person[i]
        (row,) = np.flatnonzero(addr.person == p)
        assert addr.moved_out[row] != -1 and after.day[i] > addr.moved_out[row]


def test_outsiders_are_numbered_after_the_population_and_never_counted(drawn):
    pop, eps, people, no_stay = (drawn["population"], drawn["episodes"], drawn["people"],
                                 drawn["no_stay"])
    outside = eps.person >= pop.size
    assert outside.any() and not eps.counted[outside].any()
    assert (no_stay.person >= pop.size).all() and people.size == no_stay.person.max() + 1
    assert len(people.region) == people.size


def test_each_episode_stay_ends_on_its_episode_day(drawn):
    frame, eps, stays, es = drawn["frame"], drawn["episodes"], drawn["stays"], drawn["episode_stay"]
    has = es >= 0
    assert has.mean() > 0.95
    idx = es[has]
    assert (stays.end[idx] == eps.day[has]).all() and (stays.person[idx] == eps.person[has]).all()
    assert (stays.start[idx] >= frame.d0).all()
    adm = stays.kind == ADMISSION
    assert (stays.start[~adm] == stays.end[~adm]).all() and (stays.kind[~adm] == VISIT).all()
    assert (stays.start[adm] <= stays.end[adm]).all() and (stays.end[adm] > stays.start[adm]).any()


def test_lpr3_admissions_are_chains_of_contacts_of_at_least_twelve_hours(drawn):
    """docs/method.md, "Stays": contacts of an admission follow each other by gaps under 4
    hours, and an admission lasts at least 12 hours; a visit is one contact."""
    stays = drawn["stays"]
    ended = stays.take(np.flatnonzero(stays.end >= 0))
    pc = _physical_contacts(ended, np.random.default_rng(1))
    for s in range(len(ended)):
        mine = np.flatnonzero(pc.stay == s)
        start, end = pc.start[mine], pc.end[mine]
        assert (end >= start).all() and pc.last[mine].sum() == 1 and pc.last[mine[-1]]
        if ended.kind[s] == ADMISSION:
            assert len(mine) in (2, 3)
            gaps = start[1:] - end[:-1]
            assert ((gaps >= 0) & (gaps < 240)).all(), gaps
            assert end[-1] - start[0] >= 12 * 60
            assert end[-1] // 1440 == ended.end[s]
        else:
            assert len(mine) == 1 and start[0] // 1440 == ended.start[s]
