"""ASHA: hand-computed rungs and promotions, asynchrony, resources, cost, errors."""

from __future__ import annotations

import pytest

from hyperscout.history import History
from hyperscout.pruners import ASHAPruner, Decision
from hyperscout.pruners.asha import promotable, rung_steps

from ._helpers import P, R, hist, tr

PRUNE, GO = Decision.PRUNE, Decision.CONTINUE


def c1(*vals: float) -> dict[int, float]:
    """A curve reported at steps 1, 2, 3, ..."""
    return {i + 1: v for i, v in enumerate(vals)}


def test_rung_steps_hand_computed() -> None:
    assert rung_steps(1, 3, 0, 27) == [1, 3, 9]
    assert rung_steps(1, 3, 1, 27) == [3, 9]
    assert rung_steps(2, 2, 0, 17) == [2, 4, 8, 16]
    assert rung_steps(1, 3, 3, 27) == []
    assert rung_steps(5, 3, 0, 5) == []


def test_promotion_rule_top_n_over_eta() -> None:
    assert promotable(1.0, [], [], 3)             # n=1: the best goes on
    assert not promotable(2.0, [1.0], [], 3)      # n=2 < eta: only the best
    assert promotable(1.0, [1.0], [], 3)          # ties are not better
    assert promotable(2.0, [1.0, 3.0, 4.0, 5.0, 6.0], [], 3)      # n=6: top 2, one better
    assert not promotable(3.0, [1.0, 2.0, 4.0, 5.0, 6.0], [], 3)  # two better
    assert not promotable(float("nan"), [], [], 3)


def test_asha_promotions_as_results_arrive() -> None:
    asha = ASHAPruner(min_resource=1, max_resource=9, reduction_factor=3)  # rungs 1, 3
    done = [tr(0, c1(0.5, 0.4, 0.3)), tr(1, c1(0.9), P), tr(2, c1(0.7), P)]
    h = hist(done)
    # rung 1 values: 0.5, 0.9, 0.7 (+ own). n = 4 -> top 1
    assert asha.decide(h, tr(3, c1(0.6), R)) is PRUNE
    assert asha.decide(h, tr(3, c1(0.4), R)) is GO
    # between rungs nothing is decided, even if the value got bad
    assert asha.decide(h, tr(3, c1(0.4, 5.0), R)) is GO
    # rung 3: only trial 0 reached it (0.3): n = 2 -> only the best
    assert asha.decide(h, tr(3, c1(0.4, 5.0, 0.35), R)) is PRUNE
    assert asha.decide(h, tr(3, c1(0.4, 5.0, 0.2), R)) is GO
    # beyond the last rung (step 9 = max_resource) never prunes
    assert asha.decide(h, tr(3, c1(*([0.4] * 2 + [0.2] + [9.0] * 6)), R)) is GO


def test_running_trials_compete_without_waiting() -> None:
    asha = ASHAPruner(min_resource=1, max_resource=9, reduction_factor=3)
    done = [tr(0, c1(0.5)), tr(1, c1(0.9)), tr(2, c1(0.7))]
    running = [tr(4, c1(0.1), R), tr(5, {}, R)]
    h = hist(done, running)
    # n = 5: 0.4 has one better (0.1, running) -> top 1 -> prune
    assert asha.decide(h, tr(3, c1(0.4), R)) is PRUNE
    # the asking trial is never its own competitor, even if listed as running
    h2 = hist(done, [tr(3, c1(0.4), R)])
    assert asha.decide(h2, tr(3, c1(0.4), R)) is GO


def test_irregular_steps_the_rung_value_is_the_first_report_at_or_after_it() -> None:
    asha = ASHAPruner(min_resource=2, max_resource=100, reduction_factor=2)  # rungs 2,4,8,...
    # trial 0 reports at steps 1, 3 -> its rung-2 value is the one at step 3 (0.2)
    done = [tr(0, {1: 9.0, 3: 0.2}), tr(1, {5: 0.8})]  # trial 1's rung-2 and rung-4 value: 0.8
    h = hist(done)
    # trial 2 jumps from step 1 to step 5: crosses rungs 2 and 4 at once, checked on both
    # rung 2: {0.2, 0.8} + 0.5 -> n=3, top 1: 0.2 is better -> prune
    assert asha.decide(h, tr(2, {1: 0.1, 5: 0.5}, R)) is PRUNE
    assert asha.decide(h, tr(2, {1: 0.1, 5: 0.1}, R)) is GO
    # rung 4: only trial 1 (0.8) reached it; a 0.7 passes rung 2? no: 0.2 better -> prune
    assert asha.decide(h, tr(2, {4: 0.7}, R)) is PRUNE


def test_maximize_and_min_early_stopping_rate() -> None:
    asha = ASHAPruner(min_resource=1, max_resource=27, reduction_factor=3,
                      min_early_stopping_rate=1)  # rungs 3, 9
    done = [tr(0, c1(0.1, 0.2, 0.9))]
    h = hist(done, direction="maximize")
    assert asha.decide(h, tr(1, c1(0.0), R)) is GO           # step 1 is no rung
    assert asha.decide(h, tr(1, c1(0.0, 0.0, 0.8), R)) is PRUNE
    assert asha.decide(h, tr(1, c1(0.0, 0.0, 0.95), R)) is GO


def test_auto_resources() -> None:
    asha = ASHAPruner()  # min 'auto', no max
    running_only = hist([], [tr(0, c1(*[1.0] * 50), R)])
    assert asha.rungs(running_only) == []
    assert asha.decide(running_only, tr(1, c1(9.0), R)) is GO  # nothing known: no pruning
    h = hist([tr(0, {s: 1.0 for s in range(1, 301)})])
    assert asha.rungs(h)[:3] == [3, 9, 27]  # 300 // 100 = 3
    auto_max = ASHAPruner(min_resource=1, max_resource="auto")
    # max = the last step (27): the last report of a full-length trial is never a rung
    assert auto_max.rungs(hist([tr(0, c1(*[1.0] * 27))])) == [1, 3, 9]
    assert auto_max.decide(hist([tr(0, c1(*[0.0] * 27))]), tr(1, c1(*[0.0] * 26 + [9.0]),
                                                             R)) is GO
    assert auto_max.rungs(hist([tr(0, c1(*[1.0] * 28))])) == [1, 3, 9, 27]


def test_only_new_finished_trials_are_read() -> None:
    class Spy(list):
        starts: list[int] = []

        def __getitem__(self, idx):
            if isinstance(idx, slice):
                Spy.starts.append(idx.start or 0)
            return super().__getitem__(idx)

    finished = Spy([tr(i, c1(float(i))) for i in range(50)])
    asha = ASHAPruner(min_resource=1, max_resource=100)
    # 0..49 and 15.5: 16 better, n = 51 -> top 17 -> go on
    assert asha.decide(History(["minimize"], finished, 50, []), tr(99, c1(15.5), R)) is GO
    finished.append(tr(50, c1(0.1)))  # now 17 better, n = 52 -> top 17 -> prune
    assert asha.decide(History(["minimize"], finished, 51, []), tr(99, c1(15.5), R)) is PRUNE
    assert Spy.starts == [0, 50]  # the second call read trial 50 only


@pytest.mark.parametrize(
    "kwargs, match",
    [({"min_resource": 0}, "min_resource=0"), ({"min_resource": "x"}, "min_resource='x'"),
     ({"max_resource": 0}, "max_resource=0"), ({"reduction_factor": 1}, "reduction_factor=1"),
     ({"min_early_stopping_rate": -1}, "min_early_stopping_rate=-1"),
     ({"min_resource": 10, "max_resource": 5}, "max_resource must be >= min_resource")],
)
def test_errors(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        ASHAPruner(**kwargs)
