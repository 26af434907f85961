"""Hypervolume: hand-checked values, and brute force on random integer sets (2-5 objectives)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hyperscout.multiobjective import hypervolume, hypervolume_contributions


def brute_force_hv(P: np.ndarray, ref: np.ndarray) -> float:
    """Grid-exact hypervolume of integer points: count the unit cells some point dominates."""
    total = 0
    for cell in itertools.product(*[range(int(r)) for r in ref]):
        if np.any(np.all(P <= np.array(cell), axis=1)):
            total += 1
    return float(total)


def test_hand_checked_2d() -> None:
    P = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    # staircase: 3x1 + 2x1 + 1x1 = 6
    assert hypervolume(P, np.array([4.0, 4.0])) == 6.0
    # a dominated point and a duplicate change nothing
    assert hypervolume(np.vstack([P, [[3.0, 3.0], [2.0, 2.0]]]), np.array([4.0, 4.0])) == 6.0


def test_hand_checked_3d_and_4d() -> None:
    # two boxes [0,2]x[0,1]x[0,1] and [0,1]x[0,2]x[0,1] overlap in a unit cube: 2 + 2 - 1 = 3
    P = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert hypervolume(P, np.array([2.0, 2.0, 1.0])) == pytest.approx(3.0)
    P4 = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    assert hypervolume(P4, np.array([2.0, 2.0, 1.0, 3.0])) == pytest.approx(9.0)


def test_one_objective_and_empty_and_outside() -> None:
    assert hypervolume(np.array([[0.25], [0.5]]), np.array([1.0])) == pytest.approx(0.75)
    assert hypervolume(np.zeros((0, 2)), np.array([1.0, 1.0])) == 0.0
    # a point on or beyond the reference point adds nothing
    assert hypervolume(np.array([[1.0, 0.0], [2.0, -1.0]]), np.array([1.0, 1.0])) == 0.0


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_matches_brute_force_on_random_integer_sets(m: int) -> None:
    rng = np.random.default_rng(m)
    ref = np.full(m, 5.0)
    for _ in range(25):
        P = rng.integers(0, 5, size=(int(rng.integers(1, 10)), m)).astype(float)
        assert hypervolume(P, ref) == pytest.approx(brute_force_hv(P, ref), abs=1e-9)


@pytest.mark.parametrize("m", [4, 5])
def test_matches_monte_carlo_on_continuous_fronts(m: int) -> None:
    rng = np.random.default_rng(0)
    x = np.abs(rng.standard_normal((30, m)))
    P = x / np.linalg.norm(x, axis=1, keepdims=True)  # points on the unit sphere's orthant
    ref = np.full(m, 1.2)
    samples = rng.uniform(0.0, 1.2, size=(200_000, m))
    dominated = np.zeros(len(samples), dtype=bool)
    for p in P:
        dominated |= np.all(samples >= p, axis=1)
    mc = dominated.mean() * 1.2**m
    se = np.sqrt(dominated.mean() * (1 - dominated.mean()) / len(samples)) * 1.2**m
    assert abs(hypervolume(P, ref) - mc) < 5 * se


@pytest.mark.parametrize("m", [2, 3, 4])
def test_contributions_are_leave_one_out_differences(m: int) -> None:
    rng = np.random.default_rng(10 + m)
    ref = np.full(m, 6.0)
    for _ in range(15):
        P = rng.integers(0, 6, size=(int(rng.integers(1, 10)), m)).astype(float)
        total = hypervolume(P, ref)
        c = hypervolume_contributions(P, ref)
        expected = [total - hypervolume(np.delete(P, i, axis=0), ref) for i in range(len(P))]
        np.testing.assert_allclose(c, expected, atol=1e-9)


def test_contributions_hand_checked() -> None:
    P = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    # the duplicates share their region (0 each); the dominated point adds nothing
    assert hypervolume_contributions(P, np.array([4.0, 4.0])).tolist() == [1, 0, 1, 0, 0]


def test_bad_input_names_the_problem() -> None:
    with pytest.raises(ValueError, match="reference_point of length 3"):
        hypervolume(np.zeros((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        hypervolume(np.array([[np.nan, 0.0]]), np.ones(2))
    with pytest.raises(ValueError, match="one value per objective"):
        hypervolume(np.zeros((2, 2)), np.array(1.0))
