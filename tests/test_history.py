"""History: the read-only snapshot policies get."""

from __future__ import annotations

import pytest

from hyperscout.history import History
from hyperscout.space import Float, Int
from hyperscout.trial import FrozenTrial, TrialState

S = TrialState


def _t(number: int, state: TrialState, value: float | None = None, **dists) -> FrozenTrial:
    return FrozenTrial.build(number=number, trial_id=100 + number, state=state,
                             values=None if value is None else [value],
                             distributions=dists or None)


def _history(directions=("minimize",)) -> History:
    finished = [_t(1, S.COMPLETE, 3.0, x=Float(0, 1)), _t(0, S.FAIL),
                _t(3, S.COMPLETE, 1.0, x=Float(0, 2)), _t(2, S.PRUNED)]
    running = [_t(4, S.RUNNING, n=Int(0, 3)), _t(5, S.WAITING)]
    return History(list(directions), finished, len(finished), running)


def test_finished_and_complete_keep_finish_order() -> None:
    h = _history()
    assert h.n_finished == 4
    assert [t.number for t in h.finished()] == [1, 0, 3, 2]
    assert [t.number for t in h.iter_finished()] == [1, 0, 3, 2]
    assert [t.number for t in h.complete()] == [1, 3] and h.n_complete == 2
    assert h.complete() is h.complete()  # computed once per snapshot


def test_with_state_and_all() -> None:
    h = _history()
    assert [t.number for t in h.with_state(S.PRUNED, S.RUNNING)] == [2, 4]
    assert [t.number for t in h.with_state(S.WAITING)] == [5]
    assert [t.number for t in h.all()] == [0, 1, 2, 3, 4, 5]


def test_a_snapshot_does_not_see_later_trials() -> None:
    finished = [_t(0, S.COMPLETE, 1.0)]
    h = History(["minimize"], finished, 1, [])
    finished.append(_t(1, S.COMPLETE, 0.0))  # the shared list grows after the snapshot
    assert h.n_finished == 1 and [t.number for t in h.complete()] == [0]
    assert h.best_trial.number == 0


def test_distributions_take_the_latest() -> None:
    assert _history().distributions() == {"x": Float(0, 2), "n": Int(0, 3)}


@pytest.mark.parametrize(("direction", "best", "sign"), [("minimize", 3, 1.0),
                                                          ("maximize", 1, -1.0)])
def test_best_trial_and_sign(direction: str, best: int, sign: float) -> None:
    h = _history((direction,))
    assert h.best_trial.number == best
    assert h.sign() == sign and not h.is_multi_objective


def test_no_complete_trial_means_no_best() -> None:
    assert History(["minimize"], [_t(0, S.FAIL)], 1, []).best_trial is None


def test_multi_objective_best_trial_names_best_trials() -> None:
    h = History(["minimize", "maximize"], [], 0, [])
    assert h.is_multi_objective and h.sign(1) == -1.0
    with pytest.raises(ValueError, match="use best_trials"):
        _ = h.best_trial
