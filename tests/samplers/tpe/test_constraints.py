"""Constrained TPE: infeasible trials stay out of the good group."""

from __future__ import annotations

import numpy as np

import hyperscout as hs
from hyperscout.samplers.tpe import TPESampler
from hyperscout.samplers.tpe.split import split_below


def test_split_below_keeps_infeasible_out_of_the_good_group() -> None:
    complete = np.ones(5, dtype=bool)
    loss = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    steps, last = np.full(5, -1), np.full(5, np.nan)
    v = np.array([1.0, 0.0, 0.5, 0.0, 0.0])
    assert split_below(2, complete, loss, steps, last, violation=v).tolist() == [
        False, True, False, True, False]
    # fewer feasible trials than the good group: the least-violating infeasible ones fill it
    v = np.array([1.0, 3.0, 0.5, 0.0, 2.0])
    assert split_below(3, complete, loss, steps, last, violation=v).tolist() == [
        True, False, True, True, False]
    # no violation: the plain split
    assert split_below(2, complete, loss, steps, last, violation=np.zeros(5)).tolist() == [
        True, True, False, False, False]


def test_split_below_multi_objective_with_constraints() -> None:
    complete = np.ones(4, dtype=bool)
    loss = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 1.0], [3.0, 3.0]])
    v = np.array([1.0, 0.0, 0.0, 0.0])
    below = split_below(2, complete, loss, np.full(4, -1), np.full(4, np.nan), violation=v)
    assert below.tolist() == [False, True, True, False]


def test_constrained_tpe_finds_the_feasible_optimum() -> None:
    # minimise (x - 1)^2 + (y - 1)^2 subject to x + y <= 1: optimum at (0.5, 0.5), value 0.5
    def run(constrained: bool, seed: int) -> tuple[int, float]:
        study = hs.create_study(
            sampler=TPESampler(seed=seed),
            constraints=(lambda t: [t.params["x"] + t.params["y"] - 1.0]) if constrained
            else (lambda t: [-1.0]))
        study.optimize(lambda t: (t.suggest_float("x", 0, 2) - 1) ** 2
                       + (t.suggest_float("y", 0, 2) - 1) ** 2, n_trials=80)
        n_feasible_late = sum(t.params["x"] + t.params["y"] <= 1.0 for t in study.trials[40:])
        return n_feasible_late, study.best_value

    # with the constraint, most late proposals are feasible; without it, TPE heads for (1, 1)
    with_c = [run(True, s) for s in range(2)]
    without = [run(False, s) for s in range(2)]
    assert min(n for n, _ in with_c) > max(n for n, _ in without), (with_c, without)
    assert all(n >= 20 for n, _ in with_c), with_c
    # the reported best respects the constraint: never below the feasible optimum 0.5
    assert all(0.5 - 1e-9 <= best < 0.6 for _, best in with_c), with_c
