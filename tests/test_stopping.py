"""Stop conditions: TargetValue and NoImprovement, alone and inside optimize."""

from __future__ import annotations

import math

import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.stopping import NoImprovement, StopCondition, TargetValue
from hyperscout.trial import FrozenTrial, TrialState


@pytest.fixture(autouse=True)
def _quiet() -> None:
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def _history(values, direction: str = "minimize", failed_at=()) -> History:
    trials = []
    for i, v in enumerate(values):
        state = TrialState.FAIL if i in failed_at else TrialState.COMPLETE
        trials.append(FrozenTrial.build(number=i, trial_id=i, state=state,
                                        values=None if state is TrialState.FAIL else [v]))
    return History([direction], trials, len(trials), [])


# -- TargetValue -------------------------------------------------------------------------------
def test_target_value_minimize() -> None:
    stop = TargetValue(0.5)
    assert not stop.should_stop(_history([]))
    assert not stop.should_stop(_history([1.0, 0.7]))
    assert stop.should_stop(_history([1.0, 0.5]))  # reaching the target is enough
    assert stop.should_stop(_history([1.0, 0.1]))


def test_target_value_maximize() -> None:
    stop = TargetValue(0.9)
    assert not stop.should_stop(_history([0.5, 0.89], "maximize"))
    assert stop.should_stop(_history([0.5, 0.95], "maximize"))


def test_target_value_ignores_failed_trials() -> None:
    assert not TargetValue(0.0).should_stop(_history([5.0, 0.0], failed_at={1}))


@pytest.mark.parametrize("target", [math.nan, math.inf, -math.inf])
def test_target_value_must_be_finite(target: float) -> None:
    with pytest.raises(ValueError, match=rf"TargetValue\(target={target}\): target must be finite"):
        TargetValue(target)


def test_target_value_stops_optimize() -> None:
    study = hs.create_study(direction="maximize", sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=500, stop=[TargetValue(0.9)])
    assert study.best_value >= 0.9
    assert all(t.values[0] < 0.9 for t in study.trials[:-1])  # it stopped at the first hit
    assert repr(TargetValue(0.9)) == "TargetValue(0.9)"


# -- NoImprovement -----------------------------------------------------------------------------
def test_no_improvement_counts_complete_trials_since_the_best() -> None:
    stop = NoImprovement(patience=3)
    assert not stop.should_stop(_history([5, 4, 3]))  # fewer than patience + 1
    assert not stop.should_stop(_history([5, 4, 3, 6, 6]))
    assert stop.should_stop(_history([5, 4, 3, 6, 6, 6]))
    assert not NoImprovement(3).should_stop(_history([5, 4, 3, 6, 6, 2]))


def test_no_improvement_maximize_and_min_delta() -> None:
    assert NoImprovement(2).should_stop(_history([1.0, 0.5, 0.9], "maximize"))
    assert not NoImprovement(2).should_stop(_history([1.0, 0.5, 1.1], "maximize"))
    # an improvement smaller than min_delta does not count
    assert NoImprovement(2, min_delta=0.5).should_stop(_history([1.0, 0.8, 0.9]))
    assert not NoImprovement(2, min_delta=0.1).should_stop(_history([1.0, 0.8, 0.9]))


def test_no_improvement_ignores_failed_trials() -> None:
    assert not NoImprovement(2).should_stop(_history([3, 2, 9, 9], failed_at={2, 3}))


def test_no_improvement_is_incremental_and_restarts_on_another_history() -> None:
    stop = NoImprovement(2)
    values = [5.0, 4.0, 3.0]
    assert not stop.should_stop(_history(values))
    for v in (6.0, 7.0):  # the history grows, the condition folds in only the new trials
        values.append(v)
    assert stop.should_stop(_history(values))
    assert not stop.should_stop(_history([9.0, 1.0, 0.5]))  # a shorter history: start over
    # another study's history of the same length: its head is 0.1, not the 9.0 seen before
    assert stop.should_stop(_history([0.1, 2.0, 3.0]))


def test_one_condition_reused_by_two_studies() -> None:
    stop = NoImprovement(patience=2)
    first = hs.create_study(sampler=hs.samplers.RandomSampler(seed=0))
    first.optimize(lambda t: 10.0 - t.number, n_trials=5, stop=[stop])  # always improving
    assert len(first.trials) == 5
    second = hs.create_study(sampler=hs.samplers.RandomSampler(seed=0))
    second.optimize(lambda t: float(t.number), n_trials=10, stop=[stop])  # never improving
    assert len(second.trials) == 3


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"patience": 0}, r"NoImprovement\(patience=0\): patience must be >= 1"),
    ({"patience": 2, "min_delta": -1.0}, r"NoImprovement\(min_delta=-1.0\): min_delta must be"),
])
def test_no_improvement_arguments(kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NoImprovement(**kwargs)


def test_no_improvement_stops_optimize() -> None:
    study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: 1.0, n_trials=100, stop=[NoImprovement(patience=5)])
    assert len(study.trials) == 6
    assert repr(NoImprovement(5)) == "NoImprovement(patience=5, min_delta=0.0)"


def test_a_custom_condition() -> None:
    class AfterFour(StopCondition):
        def should_stop(self, history: History) -> bool:
            return history.n_finished >= 4

    study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=50, stop=[AfterFour()])
    assert len(study.trials) == 4
