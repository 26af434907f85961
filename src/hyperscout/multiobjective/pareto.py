"""Pareto dominance, non-dominated sorting and crowding (pure numpy; every objective minimised).

Constraint domination (Deb 2000, "An efficient constraint handling method for genetic
algorithms"): with a violation per point (``0`` = feasible), ``a`` dominates ``b`` when

1. ``a`` is feasible and ``b`` is not, or
2. both are infeasible and ``a`` violates less, or
3. both are feasible and ``a`` Pareto-dominates ``b``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hyperscout.multiobjective.constraints import is_feasible
from hyperscout.trial.record import FrozenTrial


def to_minimization(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Flip the sign of maximized objectives. ``values``: shape ``(n, m)``.

    Example:
        >>> to_minimization(np.array([[1.0, 2.0]]), ["minimize", "maximize"]).tolist()
        [[1.0, -2.0]]
    """
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
    front = np.zeros((0, losses.shape[1]))
    kept: list[int] = []
    for i in order:
        row = losses[i]
        if len(kept):
            dom = np.all(front <= row, axis=1) & np.any(front < row, axis=1)
            if dom.any():
                continue
        efficient[i] = True
        kept.append(i)
        front = losses[kept]
    return efficient


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` Pareto-dominates ``b`` (no worse everywhere, better somewhere).

    Example:
        >>> dominates(np.array([1, 2]), np.array([1, 3])), dominates(np.array([1, 2]),
        ...                                                          np.array([2, 1]))
        (True, False)
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return bool(np.all(a <= b) and np.any(a < b))


def domination_matrix(losses: np.ndarray, violations: np.ndarray | None = None) -> np.ndarray:
    """``D[i, j]``: row ``i`` (constraint-)dominates row ``j``. Shape ``(n, n)``.

    Args:
        losses: Shape ``(n, m)``, minimised.
        violations: Shape ``(n,)``, total constraint violation (``0`` = feasible); ``None``
            for an unconstrained problem.

    Example:
        >>> domination_matrix(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 0.0])).tolist()
        [[False, False], [True, False]]
    """
    L = np.asarray(losses, dtype=float)
    le = np.all(L[:, None, :] <= L[None, :, :], axis=2)
    lt = np.any(L[:, None, :] < L[None, :, :], axis=2)
    D = le & lt
    if violations is None:
        return D
    v = np.asarray(violations, dtype=float)
    feas = v <= 0
    both_feasible = feas[:, None] & feas[None, :]
    D = np.where(both_feasible, D, False)
    D |= feas[:, None] & ~feas[None, :]
    D |= (~feas[:, None] & ~feas[None, :]) & (v[:, None] < v[None, :])
    return D


def nondominated_sort(
    losses: np.ndarray, violations: np.ndarray | None = None, n_needed: int | None = None
) -> np.ndarray:
    """Front index of each row (0 = non-dominated) under (constraint-)domination.

    Fronts are peeled until at least ``n_needed`` rows have one; the rest get ``len(losses)``.

    Example:
        >>> nondominated_sort(np.array([[1, 2], [2, 1], [2, 2], [3, 3]])).tolist()
        [0, 0, 1, 2]
        >>> nondominated_sort(np.array([[0, 0], [5, 5]]), np.array([2.0, 0.0])).tolist()
        [1, 0]
    """
    L = np.asarray(losses, dtype=float)
    n = len(L)
    ranks = np.full(n, n, dtype=np.int64)
    if n == 0:
        return ranks
    D = domination_matrix(L, violations)
    n_dom = D.sum(axis=0)  # how many rows dominate each row
    need = n if n_needed is None else min(int(n_needed), n)
    current = np.flatnonzero(n_dom == 0)
    done = r = 0
    while done < need and len(current):
        ranks[current] = r
        done += len(current)
        n_dom = n_dom - D[current].sum(axis=0)
        n_dom[current] = -1
        current = np.flatnonzero(n_dom == 0)
        r += 1
    return ranks


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each row of one front (boundary rows get ``inf``).

    Example:
        >>> crowding_distance(np.array([[0.0, 2.0], [1.0, 1.0], [2.0, 0.0]])).tolist()
        [inf, 2.0, inf]
    """
    F = np.asarray(losses, dtype=float)
    n = len(F)
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(F.shape[1]):
        order = np.argsort(F[:, j], kind="stable")
        col = F[order, j]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def pareto_front_trials(
    trials: Sequence[FrozenTrial], directions: Sequence[str]
) -> list[FrozenTrial]:
    """Feasible complete trials on the Pareto front, ordered by number.

    A trial whose stored constraints (system attribute ``"constraints"``) are violated is never
    on the front.

    Example:
        >>> from hyperscout.trial import TrialState
        >>> mk = lambda i, v, c=None: FrozenTrial.build(
        ...     number=i, trial_id=i, state=TrialState.COMPLETE, values=v,
        ...     system_attrs=None if c is None else {"constraints": c})
        >>> ts = [mk(0, [1, 1]), mk(1, [0, 0], [0.5]), mk(2, [2, 0])]
        >>> [t.number for t in pareto_front_trials(ts, ["minimize", "minimize"])]
        [0, 2]
    """
    trials = [t for t in trials if t.values is not None and is_feasible(t)]
    if not trials:
        return []
    losses = to_minimization(np.array([t.values for t in trials]), directions)
    mask = is_pareto_efficient(losses)
    return sorted((t for t, m in zip(trials, mask) if m), key=lambda t: t.number)
