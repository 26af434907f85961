"""Non-dominated sorting, constraint domination, crowding, and the study's Pareto front."""

from __future__ import annotations

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.multiobjective import (
    crowding_distance,
    dominates,
    domination_matrix,
    is_feasible,
    is_pareto_efficient,
    nondominated_sort,
    pareto_front_trials,
    violation,
)
from hyperscout.trial import FrozenTrial, TrialState


def _brute_ranks(L: np.ndarray, v: np.ndarray | None = None) -> list[int]:
    """Peel fronts with the pairwise definition of (constraint-)domination."""
    n = len(L)

    def dom(i: int, j: int) -> bool:
        if v is not None:
            fi, fj = v[i] <= 0, v[j] <= 0
            if fi and not fj:
                return True
            if not fi and not fj:
                return v[i] < v[j]
            if not fi:
                return False
        return dominates(L[i], L[j])

    ranks = [-1] * n
    left = set(range(n))
    r = 0
    while left:
        front = {i for i in left if not any(dom(j, i) for j in left if j != i)}
        for i in front:
            ranks[i] = r
        left -= front
        r += 1
    return ranks


def test_hand_checked_front() -> None:
    L = np.array([[1, 4], [2, 2], [4, 1], [3, 3], [4, 4], [2, 2]])
    assert nondominated_sort(L).tolist() == [0, 0, 0, 1, 2, 0]
    assert is_pareto_efficient(L).tolist() == [True, True, True, False, False, True]


def test_sort_matches_brute_force_with_and_without_constraints() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        n, m = int(rng.integers(1, 15)), int(rng.integers(2, 4))
        L = rng.integers(0, 4, size=(n, m)).astype(float)
        assert nondominated_sort(L).tolist() == _brute_ranks(L)
        v = np.where(rng.random(n) < 0.4, rng.integers(1, 3, size=n), 0).astype(float)
        assert nondominated_sort(L, v).tolist() == _brute_ranks(L, v)


def test_constraint_domination_cases() -> None:
    L = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 1.0], [9.0, 9.0]])
    v = np.array([2.0, 0.0, 1.0, 0.0])
    D = domination_matrix(L, v)
    assert D[1, 0] and not D[0, 1]  # a feasible point beats an infeasible better one
    assert D[2, 0] and not D[0, 2]  # less violation beats more, whatever the objectives
    assert D[1, 3] and not D[3, 1]  # among feasible: Pareto dominance
    assert D[3, 0]  # every feasible point beats every infeasible one
    assert nondominated_sort(L, v).tolist() == [3, 0, 2, 1]


def test_n_needed_stops_early() -> None:
    L = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert nondominated_sort(L, n_needed=2).tolist() == [0, 1, 4, 4]


def test_crowding_distance() -> None:
    F = np.array([[0.0, 4.0], [1.0, 2.0], [3.0, 1.0], [4.0, 0.0]])
    d = crowding_distance(F)
    assert np.isinf(d[0]) and np.isinf(d[3])
    assert d[1] == pytest.approx(3 / 4 + 3 / 4) and d[2] == pytest.approx(3 / 4 + 2 / 4)
    assert np.isinf(crowding_distance(F[:2])).all()


def _trial(number: int, values: list[float], constraints: list[float] | None = None):
    attrs = None if constraints is None else {"constraints": constraints}
    return FrozenTrial.build(number=number, trial_id=number, state=TrialState.COMPLETE,
                             values=values, system_attrs=attrs)


def test_feasibility_helpers() -> None:
    assert violation(_trial(0, [1.0], [0.5, -1.0, 2.0])) == 2.5
    assert is_feasible(_trial(0, [1.0], [0.0, -1.0]))
    assert not is_feasible(_trial(0, [1.0], [1e-9]))
    assert is_feasible(_trial(0, [1.0]))


def test_front_excludes_infeasible_and_respects_directions() -> None:
    ts = [_trial(0, [1, 1]), _trial(1, [0, 5], [1.0]), _trial(2, [2, 2]), _trial(3, [0, 0.5])]
    # trial 1 would dominate everything but is infeasible
    assert [t.number for t in pareto_front_trials(ts, ["minimize", "maximize"])] == [0, 2, 3]
    assert [t.number for t in pareto_front_trials(ts, ["minimize", "minimize"])] == [3]


def test_study_best_trials_and_best_trial_skip_infeasible() -> None:
    study = hs.create_study(directions=["minimize", "minimize"],
                            constraints=lambda t: [t.params["x"] - 0.5],
                            sampler=hs.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"]), n_trials=30)
    front = study.best_trials
    assert front and all(t.params["x"] <= 0.5 for t in front)
    # every feasible trial is on this front (x and 1 - x trade off exactly)
    assert len(front) == sum(t.params["x"] <= 0.5 for t in study.trials)

    single = hs.create_study(constraints=lambda t: [t.params["x"] - 0.5],
                             sampler=hs.samplers.RandomSampler(seed=0))
    single.optimize(lambda t: -t.suggest_float("x", 0, 1), n_trials=30)
    assert single.best_trial.params["x"] <= 0.5
    assert single.best_value == -max(t.params["x"] for t in single.trials
                                     if t.params["x"] <= 0.5)
    assert all(t.params["x"] <= 0.5 for t in single.best_trials)


def test_only_infeasible_trials_means_no_best() -> None:
    study = hs.create_study(constraints=lambda t: [1.0])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="no feasible trial yet: all 3 complete trials violate"):
        _ = study.best_trial
    assert study.best_trials == []
