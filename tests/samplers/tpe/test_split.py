"""Good/bad split rules: gamma, ranking of pruned trials, non-dominated sorting, age weights."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hyperscout.samplers.tpe.split import (
    age_weights,
    default_gamma,
    default_gamma_multiobjective,
    nondomination_ranks,
    rank_order,
    select_diverse,
    split_below,
)

NAN = np.nan


def test_gamma_rules():
    assert [default_gamma(n) for n in (0, 1, 10, 11, 100, 250, 251, 5000)] == [
        0, 1, 1, 2, 10, 25, 25, 25]
    assert [default_gamma_multiobjective(n) for n in (0, 9, 10, 11, 1000)] == [0, 1, 1, 2, 100]


def test_age_weights():
    assert age_weights(0).shape == (0,)
    assert age_weights(25).tolist() == [1.0] * 25
    w = age_weights(125)
    assert w.shape == (125,)
    assert np.all(np.diff(w) >= 0)  # older (first) never weigh more than newer
    assert w[0] == pytest.approx(1 / 125) and np.all(w[-25:] == 1.0)


def test_rank_order_puts_complete_then_pruned_by_step_then_value():
    complete = np.array([False, True, False, False, True, False])
    loss = np.array([NAN, 5.0, NAN, NAN, -1.0, NAN])
    step = np.array([3, -1, 7, 7, -1, -1])
    value = np.array([0.0, NAN, 2.0, 1.0, NAN, NAN])
    # complete by loss (4, 1); pruned at step 7 by value (3, 2); step 3 (0); no values (5)
    assert rank_order(complete, loss, step, value).tolist() == [4, 1, 3, 2, 0, 5]


def test_rank_order_nan_intermediate_ranks_last_at_its_step():
    order = rank_order(np.array([False, False]), np.array([NAN, NAN]), np.array([4, 4]),
                       np.array([NAN, 3.0]))
    assert order.tolist() == [1, 0]


def test_nondomination_ranks_against_brute_force():
    rng = np.random.default_rng(0)
    L = rng.integers(0, 6, size=(40, 2)).astype(float)  # ties and duplicates included
    ranks = nondomination_ranks(L)

    def dominates(a, b):
        return np.all(a <= b) and np.any(a < b)

    remaining = set(range(len(L)))
    r = 0
    while remaining:
        front = {i for i in remaining if not any(dominates(L[j], L[i]) for j in remaining)}
        assert {i for i in range(len(L)) if ranks[i] == r} == front
        remaining -= front
        r += 1


def test_nondomination_ranks_stops_early():
    L = np.array([[i, -i] for i in range(5)] + [[10, 10], [11, 11]], dtype=float)
    ranks = nondomination_ranks(L, n_needed=3)
    assert ranks[:5].tolist() == [0] * 5 and ranks[5:].tolist() == [7, 7]


def test_select_diverse_2d_drops_the_crowded_point():
    F = np.array([[0.0, 4.0], [1.0, 2.0], [1.05, 1.95], [4.0, 0.0]])
    # exclusive hypervolumes with reference (4.4, 4.4): 0.4, 0.1, 0.1475, 0.78
    assert sorted(select_diverse(F, 3).tolist()) == [0, 2, 3]
    assert select_diverse(F, 9).tolist() == [0, 1, 2, 3]
    assert select_diverse(F, 0).tolist() == []


def test_select_diverse_2d_maximises_hypervolume_on_small_sets():
    rng = np.random.default_rng(2)
    x = np.sort(rng.random(7))
    F = np.column_stack([x, 1 - np.sqrt(x)])  # a convex front
    worst = F.max(axis=0)
    ref = np.maximum(1.1 * worst, 0.9 * worst)

    def hv(P):
        P = P[np.argsort(P[:, 0])]
        return float(np.sum((np.append(P[1:, 0], ref[0]) - P[:, 0]) * (ref[1] - P[:, 1])))

    chosen = hv(F[select_diverse(F, 4)])
    best = max(hv(F[list(c)]) for c in itertools.combinations(range(7), 4))
    assert chosen >= 0.97 * best  # greedy removal is near-optimal here


def test_select_diverse_many_objectives_uses_crowding():
    F = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0], [0.5, 0.5, 0.51], [0.5, 0.51, 0.5]])
    assert sorted(select_diverse(F, 3).tolist()) == [0, 1, 2]


def test_split_below_single_objective():
    complete = np.array([True, True, True, False])
    loss = np.array([[3.0], [1.0], [2.0], [NAN]])
    below = split_below(2, complete, loss, np.array([-1, -1, -1, 9]), np.full(4, NAN))
    assert below.tolist() == [False, True, True, False]
    # more below than complete trials: pruned ones fill up
    below = split_below(4, complete, loss, np.array([-1, -1, -1, 9]), np.full(4, NAN))
    assert below.all()
    assert not split_below(0, complete, loss, np.full(4, -1), np.full(4, NAN)).any()
    empty = np.zeros(0)
    assert split_below(3, empty.astype(bool), empty, empty, empty).shape == (0,)


def test_split_below_multi_objective_takes_whole_fronts_first():
    L = np.array([[0, 3], [3, 0], [1, 1], [2, 2], [3, 3], [1.5, 1.6]], dtype=float)
    complete = np.ones(6, dtype=bool)
    n = len(L)
    below = split_below(3, complete, L, np.full(n, -1), np.full(n, NAN))
    assert below.tolist() == [True, True, True, False, False, False]
    below = split_below(5, complete, L, np.full(n, -1), np.full(n, NAN))
    assert below.sum() == 5 and below[:3].all() and below[5] and below[3]


def test_split_below_multi_objective_ranks_pruned_after_complete():
    L = np.array([[0, 1], [NAN, NAN], [1, 0], [NAN, NAN]])
    complete = np.array([True, False, True, False])
    below = split_below(3, complete, L, np.array([-1, 2, -1, 5]), np.full(4, NAN))
    assert below.tolist() == [True, False, True, True]  # the pruned trial that got further
