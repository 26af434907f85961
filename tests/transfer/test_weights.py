"""Ranking-loss weights: a related prior keeps its weight, an unrelated one loses it."""

from __future__ import annotations

import numpy as np
import pytest

from hyperscout.transfer.weights import misrank_matrix, ranking_losses, rgpe_weights


def test_misrank_matrix_counts_swapped_pairs() -> None:
    M = misrank_matrix(np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0]))
    assert M.sum() == 6  # every ordered pair is swapped
    assert misrank_matrix(np.arange(4.0), np.arange(4.0) * 7).sum() == 0


def test_ranking_losses_shape_and_validation() -> None:
    rng = np.random.default_rng(0)
    L = ranking_losses(np.zeros((3, 5)), np.arange(5.0), rng, n_samples=7)
    assert L.shape == (7, 3)
    with pytest.raises(ValueError, match="4 columns for 5 values"):
        ranking_losses(np.zeros((2, 4)), np.arange(5.0), rng)


def test_weights_sum_to_one_and_are_uniform_without_evidence() -> None:
    rng = np.random.default_rng(0)
    w = rgpe_weights(np.zeros((2, 1)), None, np.array([1.0]), rng)
    assert w.tolist() == [0.5, 0.5, 0.0]
    w = rgpe_weights(np.zeros((0, 4)), np.zeros(4), np.arange(4.0), rng)
    assert w.tolist() == [1.0]


def _task(n, rng):
    """A 2-d task with known relatedness: the related prior is a shifted copy, the unrelated
    one has its optimum in the opposite corner."""
    X = rng.random((n, 2))
    y = ((X - 0.3) ** 2).sum(1)
    related = ((X - 0.35) ** 2).sum(1)
    unrelated = ((X - 0.95) ** 2).sum(1)
    # the current model's leave-one-out predictions get better with more data
    loo = y + rng.normal(0, 0.5 / np.sqrt(n), n)
    return related, unrelated, loo, y


def test_an_unrelated_priors_weight_falls_to_zero_as_trials_accrue() -> None:
    w_unrel, w_rel, w_cur = [], [], []
    for n in (4, 8, 16, 32, 64):
        runs = []
        for seed in range(5):
            rng = np.random.default_rng(seed)
            related, unrelated, loo, y = _task(n, rng)
            runs.append(rgpe_weights(np.stack([related, unrelated]), loo, y, rng))
        w = np.mean(runs, axis=0)
        w_rel.append(w[0])
        w_unrel.append(w[1])
        w_cur.append(w[2])
    assert w_unrel[-1] == 0.0 and max(w_unrel[2:]) == 0.0
    assert w_unrel[0] >= w_unrel[-1]
    assert w_rel[0] > 0.3  # early on the related prior carries the study
    assert w_rel[-1] > 0.5  # a truly related prior keeps its weight
    assert all(abs(a + b + c - 1) < 1e-9 for a, b, c in zip(w_rel, w_unrel, w_cur))


def test_the_dilution_rule_zeroes_priors_worse_than_the_current_model() -> None:
    rng = np.random.default_rng(1)
    y = np.arange(30.0)
    noise = rng.random((3, 30))
    w = rgpe_weights(noise, y.copy(), y, rng)
    assert w[:3].tolist() == [0.0, 0.0, 0.0] and w[3] == 1.0
