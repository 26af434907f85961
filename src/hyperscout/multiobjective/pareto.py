"""Pareto dominance and fronts (pure numpy). All objectives are turned into minimization."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hyperscout.trial.record import FrozenTrial


def to_minimization(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Flip the sign of maximized objectives. ``values``: shape ``(n, m)``."""
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    return np.asarray(values, dtype=float) * signs


def is_pareto_efficient(losses: np.ndarray) -> np.ndarray:
    """Mask of rows not dominated by any other row (minimization; duplicates all kept).

    Example:
        >>> is_pareto_efficient(np.array([[1, 2], [2, 1], [2, 2]])).tolist()
        [True, True, False]
    """
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort(losses.T[::-1])  # sort by first objective, then the rest
    efficient = np.zeros(n, dtype=bool)
    front: list[int] = []
    for i in order:
        row = losses[i]
        dominated = False
        for j in front:
            other = losses[j]
            if np.all(other <= row) and np.any(other < row):
                dominated = True
                break
        if not dominated:
            efficient[i] = True
            front.append(i)
    return efficient


def pareto_front_trials(
    trials: Sequence[FrozenTrial], directions: Sequence[str]
) -> list[FrozenTrial]:
    """Complete trials on the Pareto front, ordered by number."""
    trials = [t for t in trials if t.values is not None]
    if not trials:
        return []
    losses = to_minimization(np.array([t.values for t in trials]), directions)
    mask = is_pareto_efficient(losses)
    return sorted((t for t, m in zip(trials, mask) if m), key=lambda t: t.number)
