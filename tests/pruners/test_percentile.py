"""MedianPruner / PercentilePruner: hand-computed decisions, steps, directions, caching."""

from __future__ import annotations

import pytest

from hyperscout.pruners import Decision, MedianPruner, PercentilePruner

from ._helpers import P, R, hist, tr

PRUNE, GO = Decision.PRUNE, Decision.CONTINUE


def test_median_hand_computed_minimize() -> None:
    # complete trials' values at step 1: best-so-far of [5, 3] = 3, [4, 4] = 4, [1, 6] = 1
    h = hist([tr(0, [5.0, 3.0]), tr(1, [4.0, 4.0]), tr(2, [1.0, 6.0])])
    pr = MedianPruner(n_startup_trials=3)
    assert pr.decide(h, tr(3, [4.0, 3.5], R)) is PRUNE   # best 3.5 > median(1, 3, 4) = 3
    assert pr.decide(h, tr(3, [4.0, 3.0], R)) is GO      # 3.0 == median: not worse
    assert pr.decide(h, tr(3, [2.9], R)) is GO           # step 0: median(5, 4, 1) = 4


def test_maximize_uses_the_upper_percentile() -> None:
    h = hist([tr(0, [1.0]), tr(1, [2.0]), tr(2, [3.0]), tr(3, [4.0])], direction="maximize")
    pr = PercentilePruner(25.0, n_startup_trials=1)
    # maximize: worse than the 75th percentile of 1..4 = 3.25
    assert pr.decide(h, tr(4, [3.2], R)) is PRUNE
    assert pr.decide(h, tr(4, [3.25], R)) is GO
    pr0 = PercentilePruner(0.0, n_startup_trials=1)  # only the very best survives
    assert pr0.decide(h, tr(4, [3.9], R)) is PRUNE
    assert PercentilePruner(100.0, n_startup_trials=1).decide(h, tr(4, [1.0], R)) is GO


def test_startup_warmup_interval_min_trials() -> None:
    h = hist([tr(0, [1.0] * 10), tr(1, [1.0] * 10)])
    bad = tr(2, [9.0] * 10, R)
    assert MedianPruner(n_startup_trials=3).decide(h, bad) is GO
    assert MedianPruner(n_startup_trials=2, n_warmup_steps=10).decide(h, bad) is GO
    assert MedianPruner(n_startup_trials=2, n_warmup_steps=9).decide(h, bad) is PRUNE
    # interval 4 from warm-up 1: checks at steps 1, 5, 9; step 9 is checked, step 8 is not
    assert MedianPruner(n_startup_trials=2, n_warmup_steps=1, interval_steps=4).decide(
        h, tr(2, [9.0] * 9, R)) is GO
    assert MedianPruner(n_startup_trials=2, n_warmup_steps=1, interval_steps=4).decide(
        h, bad) is PRUNE
    assert MedianPruner(n_startup_trials=0, n_min_trials=3).decide(h, bad) is GO


def test_irregular_steps_use_the_value_each_trial_had_at_that_step() -> None:
    # trial 0 reports at 0, 10, 20; trial 1 at 5, 15; trial 2 stopped at step 3
    h = hist([tr(0, {0: 8.0, 10: 2.0, 20: 1.0}), tr(1, {5: 6.0, 15: 5.0}), tr(2, {0: 0.0, 3: 0.0})])
    pr = MedianPruner(n_startup_trials=0)
    # at step 12: trial 0 had 2.0 (step 10), trial 1 had 6.0 (step 5); trial 2 never got there
    # -> median(2, 6) = 4
    assert pr.decide(h, tr(3, {12: 4.5}, R)) is PRUNE
    assert pr.decide(h, tr(3, {12: 3.9}, R)) is GO
    # irregular reports of the asking trial: checked on the first report after a pruning point
    pr5 = MedianPruner(n_startup_trials=0, interval_steps=5)
    assert pr5.decide(h, tr(3, {3: 9.5, 12: 9.0}, R)) is PRUNE  # 12 is first after point 10
    assert pr5.decide(h, tr(3, {11: 9.5, 12: 9.0}, R)) is GO   # 11 was first after 10


def test_only_complete_trials_count_and_nan_prunes() -> None:
    h = hist([tr(0, [1.0]), tr(1, [9.0], P), tr(2, [9.0])], running=[tr(3, [0.0], R)])
    pr = MedianPruner(n_startup_trials=0)
    assert pr.decide(h, tr(4, [4.0], R)) is GO  # median(1, 9) = 5
    assert pr.decide(h, tr(4, [float("nan")], R)) is PRUNE
    assert pr.decide(h, tr(4, {}, R)) is GO


def test_cache_grows_with_new_finished_trials_of_the_same_study() -> None:
    finished = [tr(0, [1.0, 1.0]), tr(1, [2.0, 2.0])]
    pr = MedianPruner(n_startup_trials=0)
    from hyperscout.history import History

    h1 = History(["minimize"], finished, 2, [])
    assert pr.decide(h1, tr(9, [1.6, 1.6], R)) is PRUNE  # median 1.5
    finished.append(tr(2, [3.0, 3.0]))  # the same append-only list, as a study shares it
    h2 = History(["minimize"], finished, 3, [])
    assert pr.decide(h2, tr(9, [1.6, 1.6], R)) is GO  # median 2.0, the cached step updated
    assert pr.decide(h1, tr(9, [1.6, 1.6], R)) is PRUNE  # an older snapshot resets the cache


@pytest.mark.parametrize(
    "kwargs, match",
    [({"percentile": 101}, "percentile=101"), ({"percentile": 5, "n_warmup_steps": -1},
     "n_warmup_steps=-1"), ({"percentile": 5, "interval_steps": 0}, "interval_steps=0"),
     ({"percentile": 5, "n_min_trials": 0}, "n_min_trials=0"),
     ({"percentile": 5, "n_startup_trials": 1.5}, "n_startup_trials=1.5")],
)
def test_bad_arguments_name_the_parameter(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        PercentilePruner(**kwargs)
