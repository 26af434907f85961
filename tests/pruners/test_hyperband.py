"""Hyperband: hand-computed brackets, deterministic assignment, per-bracket competition."""

from __future__ import annotations

from collections import Counter

import pytest

from hyperscout.pruners import Decision, HyperbandPruner
from hyperscout.pruners.hyperband import bracket_budgets, mix64, n_brackets

from ._helpers import R, hist, tr

PRUNE, GO = Decision.PRUNE, Decision.CONTINUE


def c1(*vals: float) -> dict[int, float]:
    return {i + 1: v for i, v in enumerate(vals)}


def test_brackets_and_budgets_hand_computed() -> None:
    assert n_brackets(1, 27, 3) == 4 and n_brackets(1, 81, 3) == 5 and n_brackets(2, 16, 2) == 4
    assert bracket_budgets(4, 3) == [27, 12, 6, 4]  # ceil(4*27/4), ceil(4*9/3), ...
    assert bracket_budgets(1, 3) == [1]
    hb = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert [hb.rungs_of(b, None) for b in range(4)] == [[1, 3, 9], [3, 9], [9], []]
    # R = 52 is not a power of 3: still 4 brackets (27 <= 52 < 81); ASHA rungs below 52 are
    # 1, 3, 9, 27, but the last bracket is Hyperband's full-budget one and has no rung at 27
    hb52 = HyperbandPruner(min_resource=1, max_resource=52, reduction_factor=3)
    assert hb52.brackets(None) == 4
    assert [hb52.rungs_of(b, None) for b in range(4)] == [[1, 3, 9, 27], [3, 9, 27], [9, 27], []]
    # three finished trials per bracket with 0.0 at every step; a new one with 9.0 at step 27
    # (minimize: the worst) is pruned there in bracket 2, and goes on in bracket 3
    b2, b3 = (_numbers_in(hb52, b, 4) for b in (2, 3))
    h = hist([tr(n, c1(*[0.0] * 52)) for n in b2[:3] + b3[:3]])
    assert hb52.decide(h, tr(b2[3], c1(*[0.0] * 26, 9.0), R)) is PRUNE
    assert hb52.decide(h, tr(b3[3], c1(*[0.0] * 26, 9.0), R)) is GO


def test_assignment_is_deterministic_and_follows_the_budgets() -> None:
    hb = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=7)
    again = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=7)
    other = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=8)
    a = [hb.bracket_of(n, None) for n in range(4900)]
    assert a == [again.bracket_of(n, None) for n in range(4900)]
    assert a != [other.bracket_of(n, None) for n in range(4900)]
    share = Counter(a)
    for b, w in enumerate([27, 12, 6, 4]):
        assert abs(share[b] / 4900 - w / 49) < 0.03
    assert 0 <= mix64(0, 5) < 2**64 and mix64(0, 5) != mix64(0, 6)


def _numbers_in(hb: HyperbandPruner, bracket: int, k: int) -> list[int]:
    return [n for n in range(1000) if hb.bracket_of(n, None) == bracket][:k]


def test_trials_compete_only_within_their_bracket() -> None:
    hb = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=0)
    b0 = _numbers_in(hb, 0, 3)
    b1 = _numbers_in(hb, 1, 1)
    b3 = _numbers_in(hb, 3, 1)
    # a great trial of bracket 1 does not count at bracket 0's rung 1
    h = hist([tr(b1[0], c1(0.0, 0.0, 0.0)), tr(b0[0], c1(0.5))])
    assert hb.decide(h, tr(b0[1], c1(0.4), R)) is GO     # n=2 in bracket 0: 0.4 is best
    assert hb.decide(h, tr(b0[1], c1(0.6), R)) is PRUNE  # 0.5 better
    # bracket 1 starts at rung 3: step 1 is never checked there
    assert hb.decide(h, tr(_numbers_in(hb, 1, 2)[1], c1(9.0), R)) is GO
    # bracket 3 never prunes
    assert hb.decide(h, tr(b3[0], c1(*[9.0] * 20), R)) is GO


def test_auto_max_resource_waits_for_the_first_complete_trial() -> None:
    hb = HyperbandPruner(min_resource=1, reduction_factor=3)
    assert hb.brackets(hist([])) is None
    assert hb.decide(hist([]), tr(0, c1(1.0), R)) is GO
    h = hist([tr(0, c1(*[1.0] * 27))])  # max = its last step, 27 -> 4 brackets
    assert hb.brackets(h) == 4
    assert hb.brackets(hist([tr(0, c1(1.0))])) == 4  # fixed once known


@pytest.mark.parametrize(
    "kwargs, match",
    [({"min_resource": "auto"}, "min_resource='auto'"), ({"max_resource": 0}, "max_resource=0"),
     ({"reduction_factor": 1}, "reduction_factor=1"), ({"seed": -1}, "seed=-1"),
     ({"min_resource": 9, "max_resource": 3}, "max_resource must be >= min_resource")],
)
def test_errors(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        HyperbandPruner(**kwargs)
