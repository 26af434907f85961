"""Which observations TPE counts as good ("below") and how much each one weighs (pure numpy).

Ranking (single objective, losses are ``sign * value`` so smaller is better):

1. complete trials, by loss;
2. pruned trials with intermediate values, by the last step they reached (later is better),
   then by the value at that step (a nan there ranks last among them);
3. pruned trials without intermediate values.

The best ``n_below`` of that order form the good group; the rest, plus the running trials
(constant liar, added by the sampler), form the bad group. Failed trials are never modelled.

Constraints (constrained TPE, as in Optuna's ``constraints_func``): infeasible complete trials
never enter the good group while enough feasible ones exist (see :func:`split_below`).

Multi-objective (MOTPE, Ozaki et al. 2020/2022): complete trials by non-domination rank; the
last front that does not fit whole is cut by hypervolume contribution (exact, 2 objectives)
or crowding distance (3+ objectives); pruned trials after all complete ones.
"""

from __future__ import annotations

import math

import numpy as np


def default_gamma(n: int) -> int:
    """Size of the good group for ``n`` observations: ``min(ceil(0.1 n), 25)`` (as Optuna).

    Example:
        >>> [default_gamma(n) for n in (1, 10, 11, 100, 1000)]
        [1, 1, 2, 10, 25]
    """
    return min(math.ceil(0.1 * n), 25)


def default_gamma_multiobjective(n: int) -> int:
    """Good-group size for several objectives: ``ceil(0.1 n)``, uncapped (a front needs room).

    Example:
        >>> default_gamma_multiobjective(1000)
        100
    """
    return math.ceil(0.1 * n)


def age_weights(n: int, flat: int = 25) -> np.ndarray:
    """Weights by age, oldest first: the newest ``flat`` weigh 1, older ones ramp down to ``1/n``.

    Old trials were proposed by a model that knew less; down-weighting them lets the bad-group
    density follow where the search is now. Shape ``(n,)``.

    Example:
        >>> age_weights(3).tolist()
        [1.0, 1.0, 1.0]
        >>> w = age_weights(100); round(float(w[0]), 3), float(w[-1])
        (0.01, 1.0)
    """
    if n <= flat:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - flat), np.ones(flat)])


def rank_order(
    complete: np.ndarray,
    loss: np.ndarray,
    last_step: np.ndarray,
    last_value: np.ndarray,
) -> np.ndarray:
    """Order of observations from best to worst, single objective (rules in the module doc).

    Args:
        complete: Shape ``(n,)`` bool, True for complete trials, False for pruned ones.
        loss: Shape ``(n,)``: ``sign * value`` of complete trials (ignored for pruned).
        last_step: Shape ``(n,)``: a pruned trial's last reported step, -1 if none.
        last_value: Shape ``(n,)``: ``sign * value`` at that step (nan allowed).

    Returns:
        Shape ``(n,)`` indices.

    Example:
        >>> rank_order(np.array([True, False, True, False]), np.array([3.0, 0, 1.0, 0]),
        ...            np.array([-1, 5, -1, 9]), np.array([np.nan, 0.1, np.nan, 0.5])).tolist()
        [2, 0, 3, 1]
    """
    complete = np.asarray(complete, dtype=bool)
    tier = np.where(complete, 0, np.where(np.asarray(last_step) >= 0, 1, 2))
    second = np.where(complete, np.asarray(loss, dtype=float), -np.asarray(last_step, float))
    third = np.where(complete, 0.0, np.nan_to_num(np.asarray(last_value, float), nan=np.inf))
    return np.lexsort((third, second, tier))


def nondomination_ranks(losses: np.ndarray, n_needed: int | None = None) -> np.ndarray:
    """Pareto front index of each row (0 = non-dominated), minimising every column.

    Peels fronts until at least ``n_needed`` rows are ranked; rows left unranked get ``n``.

    Example:
        >>> nondomination_ranks(np.array([[1, 2], [2, 1], [2, 2], [3, 3]])).tolist()
        [0, 0, 1, 2]
    """
    L = np.asarray(losses, dtype=float)
    n = len(L)
    ranks = np.full(n, n, dtype=np.int64)
    if n == 0:
        return ranks
    # dominated_by[i, j]: row j dominates row i
    le = np.all(L[None, :, :] <= L[:, None, :], axis=2)
    lt = np.any(L[None, :, :] < L[:, None, :], axis=2)
    dominated_by = le & lt
    alive = np.ones(n, dtype=bool)
    need = n if n_needed is None else min(n_needed, n)
    r = done = 0
    while done < need:
        front = alive & ~np.any(dominated_by & alive[None, :], axis=1)
        ranks[front] = r
        alive &= ~front
        done += int(front.sum())
        r += 1
    return ranks


def _hv_contributions_2d(F: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Exclusive hypervolume of each point of a 2-D non-dominated set (minimisation)."""
    order = np.argsort(F[:, 0], kind="stable")
    f = F[order]
    right = np.append(f[1:, 0], ref[0])
    up = np.concatenate([[ref[1]], f[:-1, 1]])
    contrib = np.empty(len(F))
    contrib[order] = np.maximum(right - f[:, 0], 0.0) * np.maximum(up - f[:, 1], 0.0)
    return contrib


def _crowding(F: np.ndarray) -> np.ndarray:
    n, m = F.shape
    dist = np.zeros(n)
    for j in range(m):
        order = np.argsort(F[:, j], kind="stable")
        col = F[order, j]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0 and n > 2:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def select_diverse(F: np.ndarray, k: int) -> np.ndarray:
    """Pick ``k`` rows of a non-dominated set ``F`` that cover it best (indices into ``F``).

    Two objectives: greedily drop the point of least exclusive hypervolume (reference point a
    little beyond the worst of the set). More objectives: keep the largest crowding distances.

    Example:
        >>> sorted(select_diverse(np.array([[0., 4], [1, 2], [1.1, 1.9], [4, 0]]), 3).tolist())
        [0, 2, 3]
    """
    F = np.asarray(F, dtype=float)
    n = len(F)
    if k >= n:
        return np.arange(n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if F.shape[1] != 2:
        return np.argsort(-_crowding(F), kind="stable")[:k]
    worst = F.max(axis=0)
    ref = np.maximum(1.1 * worst, 0.9 * worst)
    ref = np.where(ref == worst, worst + 1e-12 + 1e-12 * np.abs(worst), ref)
    keep = np.arange(n)
    while len(keep) > k:
        c = _hv_contributions_2d(F[keep], ref)
        keep = np.delete(keep, int(np.argmin(c)))
    return keep


def split_below(
    n_below: int,
    complete: np.ndarray,
    loss: np.ndarray,
    last_step: np.ndarray,
    last_value: np.ndarray,
    violation: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of the ``n_below`` best observations (rules in the module doc).

    Constraints (constrained TPE): with ``violation`` (``(n,)``, ``0`` = feasible), only feasible
    complete trials compete for the good group; if there are fewer than ``n_below`` of them, the
    least-violating infeasible ones fill it. Every other infeasible trial is in the bad group.

    Args:
        n_below: Size of the good group (clipped to ``[0, n]``).
        complete: Shape ``(n,)`` bool.
        loss: Shape ``(n, m)``: ``sign * values`` per objective (rows of pruned trials ignored).
        last_step: Shape ``(n,)``.
        last_value: Shape ``(n,)``.
        violation: Shape ``(n,)`` total constraint violation, or ``None``.

    Example:
        >>> split_below(1, np.array([True, True]), np.array([[1.0], [2.0]]),
        ...             np.array([-1, -1]), np.array([np.nan, np.nan]),
        ...             violation=np.array([0.5, 0.0])).tolist()
        [False, True]
        >>> split_below(1, np.array([True, True]), np.array([[2.0], [1.0]]),
        ...             np.array([-1, -1]), np.array([np.nan, np.nan])).tolist()
        [False, True]
    """
    complete = np.asarray(complete, dtype=bool)
    n = len(complete)
    n_below = max(0, min(int(n_below), n))
    below = np.zeros(n, dtype=bool)
    if n_below == 0:
        return below
    loss = np.asarray(loss, dtype=float).reshape(n, -1)
    if violation is not None:
        infeasible = complete & (np.asarray(violation, dtype=float) > 0)
        if infeasible.any():
            feasible = complete & ~infeasible
            n_feasible = int(feasible.sum())
            if n_below <= n_feasible:
                return split_below(n_below, feasible, loss, last_step, last_value) & feasible
            below = feasible.copy()
            idx = np.flatnonzero(infeasible)
            order = np.argsort(np.asarray(violation, dtype=float)[idx], kind="stable")
            below[idx[order[: n_below - n_feasible]]] = True
            return below
    if loss.shape[1] == 1:
        below[rank_order(complete, loss[:, 0], last_step, last_value)[:n_below]] = True
        return below
    idx_c = np.flatnonzero(complete)
    take_c = min(n_below, len(idx_c))
    if take_c:
        L = loss[idx_c]
        ranks = nondomination_ranks(L, take_c)
        order = np.argsort(ranks, kind="stable")
        cut_rank = ranks[order[take_c - 1]]
        sure = idx_c[ranks < cut_rank]
        tie = np.flatnonzero(ranks == cut_rank)
        below[sure] = True
        below[idx_c[tie[select_diverse(L[tie], take_c - len(sure))]]] = True
    rest = n_below - take_c
    if rest > 0:
        idx_p = np.flatnonzero(~complete)
        order = np.lexsort((idx_p, -np.asarray(last_step)[idx_p]))
        below[idx_p[order[:rest]]] = True
    return below
