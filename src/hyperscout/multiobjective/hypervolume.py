"""Exact hypervolume and hypervolume contributions (pure numpy; every objective minimised).

The hypervolume of a point set ``P`` with respect to a reference point ``r`` is the Lebesgue
measure of the region dominated by ``P`` and bounded by ``r``:
``HV(P) = vol(union over p in P of [p, r])``. Points that are not strictly better than ``r`` in
every objective add nothing and are dropped first.

Algorithms:

- 1 objective: ``r - min(P)``.
- 2 objectives: a sweep over the points sorted by the first objective, ``O(n log n)``.
- 3 objectives: a sweep over the third objective that keeps the 2-D front of the points seen so
  far in a list sorted by the first objective and updates its area on each insertion (the idea
  of HV3D, Beume et al. 2009, "On the complexity of computing the hypervolume indicator"),
  ``O(n^2)`` in the worst case with numpy-free inner loops.
- 4+ objectives: WFG (While, Bradstreet & Barone 2012, "A fast way of calculating exact
  hypervolumes"): ``HV(P) = sum_i exclusive(p_i, {p_{i+1}, ...})`` where the exclusive volume of
  ``p`` is ``vol([p, r]) - HV(limit(P', p))`` and ``limit`` replaces each later point by its
  componentwise ``max`` with ``p`` (then keeps only the non-dominated ones). Points are
  processed in decreasing order of the last objective, which keeps the limit sets small.
  Recursion bottoms out in the 3-objective sweep.

The exclusive contribution of each point is ``HV(P) - HV(P \\ {p})``: the WFG exclusive volume
of ``p`` against all the other points.
"""

from __future__ import annotations

import bisect

import numpy as np

from hyperscout.multiobjective.pareto import is_pareto_efficient


def _check(points: np.ndarray, reference_point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    P = np.asarray(points, dtype=float)
    r = np.asarray(reference_point, dtype=float)
    if r.ndim != 1 or r.size == 0:
        raise ValueError(
            f"hypervolume(reference_point={reference_point!r}): give one value per objective"
        )
    if P.size == 0:
        return np.zeros((0, r.size)), r
    if P.ndim == 1:
        P = P[None, :]
    if P.ndim != 2 or P.shape[1] != r.size:
        raise ValueError(
            f"hypervolume(points of shape {P.shape}, reference_point of length {r.size}): "
            "points must be an (n, m) array with m equal to the reference point's length"
        )
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(r))):
        raise ValueError("hypervolume(): points and reference_point must be finite (no nan/inf)")
    return P, r


def _hv2d(P: np.ndarray, r: np.ndarray) -> float:
    """Area dominated by ``P`` (all points strictly inside ``r``), any order, any duplicates."""
    order = np.lexsort((P[:, 1], P[:, 0]))
    hv = 0.0
    best_y = r[1]
    for i in order:
        x, y = P[i]
        if y < best_y:
            hv += (r[0] - x) * (best_y - y)
            best_y = y
    return hv


def _hv3d(P: np.ndarray, r: np.ndarray) -> float:
    """Volume dominated by ``P`` in 3-D: sweep along z, keep the 2-D front and its area."""
    order = np.argsort(P[:, 2], kind="stable")
    xs: list[float] = []  # the 2-D front sorted by x ascending (y then descending)
    ys: list[float] = []
    area = 0.0
    hv = 0.0
    rx, ry = float(r[0]), float(r[1])
    z_prev = None
    for i in order:
        x, y, z = float(P[i, 0]), float(P[i, 1]), float(P[i, 2])
        if z_prev is not None:
            hv += area * (z - z_prev)
        z_prev = z
        k = bisect.bisect_left(xs, x)
        # weakly dominated by the front point left of it, or by one at the same x?
        if (k > 0 and ys[k - 1] <= y) or (k < len(xs) and xs[k] == x and ys[k] <= y):
            continue
        # the points right of x that this one dominates: contiguous, y >= new y
        j = k
        while j < len(xs) and ys[j] >= y:
            j += 1
        # area gained: the region [x, rx] x [y, y_up] minus what the removed points covered
        y_up = ys[k - 1] if k > 0 else ry
        right = xs[j] if j < len(xs) else rx
        gain = (right - x) * (y_up - y)
        # removed points k..j-1 each covered [x_i, x_{i+1}] x [y_i, y_up]; add their shortfall
        for t in range(k, j):
            nxt = xs[t + 1] if t + 1 < len(xs) else rx
            gain -= (nxt - xs[t]) * (y_up - ys[t])
        area += gain
        del xs[k:j]
        del ys[k:j]
        xs.insert(k, x)
        ys.insert(k, y)
    if z_prev is not None:
        hv += area * (float(r[2]) - z_prev)
    return hv


def _nondominated(P: np.ndarray) -> np.ndarray:
    if len(P) <= 1:
        return P
    P = np.unique(P, axis=0)
    return P[is_pareto_efficient(P)]


def _wfg(P: np.ndarray, r: np.ndarray) -> float:
    """Hypervolume of a non-dominated set ``P`` (strictly inside ``r``)."""
    n, m = P.shape
    if n == 0:
        return 0.0
    if m == 1:
        return float(r[0] - P[:, 0].min())
    if m == 2:
        return _hv2d(P, r)
    if m == 3:
        return _hv3d(P, r)
    if n == 1:
        return float(np.prod(r - P[0]))
    P = P[np.argsort(-P[:, -1], kind="stable")]
    hv = 0.0
    for i in range(n):
        hv += _exclusive(P[i], P[i + 1:], r)
    return hv


def _exclusive(p: np.ndarray, others: np.ndarray, r: np.ndarray) -> float:
    """Volume dominated by ``p`` and by none of ``others``."""
    box = float(np.prod(r - p))
    if len(others) == 0:
        return box
    limited = _nondominated(np.maximum(others, p))
    return box - _wfg(limited, r)


def hypervolume(points: np.ndarray, reference_point: np.ndarray) -> float:
    """Exact hypervolume of ``points`` (minimisation) with respect to ``reference_point``.

    Args:
        points: Shape ``(n, m)``; points not strictly below the reference point in every
            objective contribute nothing.
        reference_point: Shape ``(m,)``.

    Returns:
        The dominated volume (``0.0`` for no points).

    Example:
        >>> hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), np.array([4.0, 4.0]))
        6.0
        >>> hypervolume(np.array([[0.0, 0.0, 0.0]]), np.array([1.0, 2.0, 3.0]))
        6.0
    """
    P, r = _check(points, reference_point)
    P = P[np.all(P < r, axis=1)]
    if len(P) == 0:
        return 0.0
    m = P.shape[1]
    if m == 2:
        return float(_hv2d(P, r))
    if m == 3:
        return float(_hv3d(P, r))
    return float(_wfg(_nondominated(P), r))


def hypervolume_contributions(points: np.ndarray, reference_point: np.ndarray) -> np.ndarray:
    """Exclusive hypervolume of each point: ``HV(P) - HV(P without that point)``.

    A dominated point, a duplicate, or a point outside the reference box contributes 0.

    Example:
        >>> hypervolume_contributions(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]),
        ...                           np.array([4.0, 4.0])).tolist()
        [1.0, 1.0, 1.0]
    """
    P, r = _check(points, reference_point)
    n = len(P)
    out = np.zeros(n)
    if n == 0:
        return out
    inside = np.flatnonzero(np.all(P < r, axis=1))
    if len(inside) == 0:
        return out
    Q = P[inside]
    # only a front point can contribute; removing it may uncover dominated points, so each is
    # measured against all the other points in the box (a duplicate makes it 0 by itself)
    for k in np.flatnonzero(is_pareto_efficient(Q)):
        out[inside[k]] = _exclusive(Q[k], np.delete(Q, k, axis=0), r)
    return out
