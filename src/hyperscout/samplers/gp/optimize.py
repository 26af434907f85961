"""Acquisition optimisation over mixed spaces, on valid points only.

Search happens in the rows of the shared :class:`~hyperscout.space.codec.SpaceCodec`
(``onehot=True``). Every point that is ever evaluated is a *valid* point: integers and stepped
floats sit on their grid, categoricals on a one-hot vertex. So a continuous optimum is never
rounded after the fact:

1. **Candidates**: a scrambled Sobol set over the parameters (mapped onto grids and one-hot
   vertices) plus perturbations of the best observed points (Gaussian steps on a random subset
   of the numeric columns, random choice switches on categoricals), snapped with
   ``codec.round_to_grid``.
2. **Starts**: the best candidate, plus more drawn by roulette (weights
   ``exp(acq - max acq)``, without replacement) for diversity.
3. **Local refinement** from each start, alternated until nothing improves: L-BFGS-B on the
   continuous (step-less Float) columns with the discrete ones fixed, preconditioned by the
   lengthscales; then neighbourhood moves on each discrete parameter (every other grid value
   when there are at most 16, else steps of ``+-1, 2, 4, ...`` grid points and a few random ones)
   and on each categorical (every other choice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Categorical, Float, Int

_EXHAUSTIVE_MAX = 16


def sobol(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points of a scrambled Sobol sequence in ``[0, 1]^d``, seeded from ``rng``.

    ``n`` is rounded up to a power of two inside (Sobol's balance properties) and the first
    ``n`` points are returned.

    Example:
        >>> sobol(2, 5, np.random.default_rng(0)).shape
        (5, 2)
    """
    m = max(int(np.ceil(np.log2(max(n, 1)))), 0)
    seed = int(rng.integers(2**32))
    try:
        engine = qmc.Sobol(d, scramble=True, rng=seed)
    except TypeError:  # scipy < 1.15 names it seed
        engine = qmc.Sobol(d, scramble=True, seed=seed)
    return engine.random_base2(m)[:n]


@dataclass(frozen=True)
class _Discrete:
    name: str
    col: int
    n: int
    dist: Int | Float

    def unit(self, idx: np.ndarray) -> np.ndarray:
        """Unit-cube coordinate of grid index ``idx`` (its cell centre)."""
        d = self.dist
        if isinstance(d, Int) and d.log:
            return np.array([d.to_unit(d.low + int(k) * d.step) for k in np.atleast_1d(idx)])
        return (np.asarray(idx, dtype=float) + 0.5) / self.n

    def index(self, u: float) -> int:
        d = self.dist
        v = d.from_unit(float(u))
        # SearchLayout makes only Int and stepped Float parameters discrete: step is set
        assert d.step is not None
        return int(round((v - d.low) / d.step))


class SearchLayout:
    """How each parameter of a codec's space is searched (continuous, grid, or categorical).

    Args:
        codec: A ``SpaceCodec(space, onehot=True)``.

    Example:
        >>> from hyperscout.space import Categorical, Float, Int
        >>> lay = SearchLayout(SpaceCodec({"x": Float(0, 1), "k": Int(1, 5),
        ...                                "c": Categorical(["a", "b"])}, onehot=True))
        >>> lay.continuous.tolist(), [d.n for d in lay.discrete], lay.categorical
        ([0], [5], [(2, 4)])
    """

    def __init__(self, codec: SpaceCodec) -> None:
        if not codec.onehot:
            raise ValueError("SearchLayout needs a SpaceCodec built with onehot=True")
        self.codec = codec
        cont: list[int] = []
        self.discrete: list[_Discrete] = []
        self.categorical: list[tuple[int, int]] = []
        for name, dist in codec.space.items():
            sl = codec.slices[name]
            if isinstance(dist, Categorical):
                self.categorical.append((sl.start, sl.stop))
            elif isinstance(dist, Int) or dist.step is not None:
                n = int(codec.n_grid_points()[sl.start])
                self.discrete.append(_Discrete(name, sl.start, n, dist))
            else:
                cont.append(sl.start)
        self.continuous = np.array(cont, dtype=np.int64)
        self.d = codec.n_columns
        self.n_params = len(codec.space)

    def from_unit(self, U: np.ndarray) -> np.ndarray:
        """Map points of ``[0, 1]^n_params`` (one column per parameter) to valid rows."""
        U = np.atleast_2d(U)
        X = np.zeros((len(U), self.d))
        for j, name in enumerate(self.codec.names):
            sl = self.codec.slices[name]
            dist = self.codec.space[name]
            if isinstance(dist, Categorical):
                k = np.minimum((U[:, j] * dist.n_values).astype(np.int64), dist.n_values - 1)
                X[np.arange(len(U)), sl.start + k] = 1.0
            else:
                X[:, sl.start] = U[:, j]
        return self.codec.round_to_grid(X)

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` valid rows from a scrambled Sobol sequence."""
        return self.from_unit(sobol(self.n_params, n, rng))

    def perturb(self, centres: np.ndarray, n_each: int, rng: np.random.Generator) -> np.ndarray:
        """Valid rows near each centre row: Gaussian steps and categorical switches."""
        if len(centres) == 0 or n_each <= 0:
            return np.zeros((0, self.d))
        X = np.repeat(np.atleast_2d(centres), n_each, axis=0)
        m = len(X)
        numeric = np.concatenate([self.continuous, [dd.col for dd in self.discrete]]).astype(int)
        p = min(1.0, 4.0 / max(self.n_params, 1))
        if len(numeric):
            sigma = rng.choice([0.01, 0.03, 0.1, 0.25], size=(m, 1))
            mask = rng.random((m, len(numeric))) < p
            none = ~mask.any(1)
            mask[none, rng.integers(len(numeric), size=int(none.sum()))] = True
            step = rng.normal(0.0, 1.0, (m, len(numeric))) * sigma * mask
            X[:, numeric] = np.clip(X[:, numeric] + step, 0.0, 1.0)
        for a, b in self.categorical:
            flip = rng.random(m) < 0.5 * p
            k = rng.integers(b - a, size=int(flip.sum()))
            X[np.flatnonzero(flip), a:b] = 0.0
            X[np.flatnonzero(flip), a + k] = 1.0
        return self.codec.round_to_grid(X)

    @property
    def n_movable(self) -> int:
        """Number of parameters searched by moves (discrete and categorical)."""
        return len(self.discrete) + len(self.categorical)

    def moves(self, x: np.ndarray, j: int, rng: np.random.Generator) -> np.ndarray:
        """Rows one move of movable parameter ``j`` away from ``x`` (discrete ones first)."""
        if j < len(self.discrete):
            dd = self.discrete[j]
            k = dd.index(x[dd.col])
            if dd.n <= _EXHAUSTIVE_MAX:
                idx = np.array([i for i in range(dd.n) if i != k], dtype=np.int64)
            else:
                steps = 2 ** np.arange(int(np.log2(dd.n)) + 1)
                idx = np.concatenate([k + steps, k - steps, rng.integers(dd.n, size=4)])
                idx = np.unique(idx[(idx >= 0) & (idx < dd.n) & (idx != k)])
            rows = np.repeat(x[None, :], len(idx), axis=0)
            if len(idx):
                rows[:, dd.col] = dd.unit(idx)
            return rows
        a, b = self.categorical[j - len(self.discrete)]
        cur = int(np.argmax(x[a:b]))
        others = np.array([i for i in range(b - a) if i != cur], dtype=np.int64)
        rows = np.repeat(x[None, :], len(others), axis=0)
        rows[:, a:b] = 0.0
        rows[np.arange(len(others)), a + others] = 1.0
        return rows


def _refine_continuous(
    value_and_grad: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    acq_values: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray, F: np.ndarray, cont: np.ndarray, scale: np.ndarray, maxiter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS-B on the continuous columns of all rows at once, in lengthscale units.

    The rows' problems are independent, so the sum of their values is maximised jointly (one
    scipy call, one batched GP evaluation per iteration); each row keeps its result only if it
    improved.
    """
    s, c = len(X), len(cont)
    base = X.copy()

    def rows_of(zflat: np.ndarray) -> np.ndarray:
        R = base.copy()
        R[:, cont] = np.clip(zflat.reshape(s, c) * scale, 0.0, 1.0)
        return R

    def negf(zflat: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = value_and_grad(rows_of(zflat))
        bad = ~np.isfinite(v)
        v = np.where(bad, -1e6, v)
        g = np.where(bad[:, None], 0.0, g)
        return -float(v.sum()), (-g[:, cont] * scale).ravel()

    res = minimize(negf, (X[:, cont] / scale).ravel(), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, 1.0 / sc) for sc in scale] * s,
                   options={"maxiter": maxiter, "gtol": 1e-6})
    R = rows_of(res.x)
    Fn = acq_values(R)
    better = np.isfinite(Fn) & (Fn > F)
    X = np.where(better[:, None], R, X)
    return X, np.where(better, Fn, F)


def local_search(
    acq_values: Callable[[np.ndarray], np.ndarray],
    value_and_grad: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    layout: SearchLayout,
    X0: np.ndarray,
    F0: np.ndarray,
    lengthscales: np.ndarray,
    rng: np.random.Generator,
    *,
    max_rounds: int = 6,
    maxiter: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Alternate continuous L-BFGS-B and discrete/categorical moves from valid rows ``X0``.

    Returns the refined rows and their values (never worse than ``F0``).
    """
    X, F = np.atleast_2d(X0).copy(), np.asarray(F0, dtype=float).copy()
    cont = layout.continuous
    scale = np.clip(lengthscales[cont], 1e-3, 1.0) if len(cont) else np.zeros(0)
    active = np.arange(len(X))
    for _ in range(max_rounds):
        if len(cont):
            X[active], F[active] = _refine_continuous(value_and_grad, acq_values, X[active],
                                                      F[active], cont, scale, maxiter)
        if not layout.n_movable:
            break
        improved = np.zeros(len(X), dtype=bool)
        for j in range(layout.n_movable):
            blocks = [layout.moves(X[i], j, rng) for i in active]
            sizes = [len(b) for b in blocks]
            if not sum(sizes):
                continue
            vals = acq_values(np.vstack(blocks))
            off = 0
            for i, blk, n in zip(active, blocks, sizes):
                if n:
                    k = int(np.argmax(vals[off: off + n]))
                    v = float(vals[off + k])
                    if v > F[i] + 1e-12 * max(1.0, abs(F[i])):
                        X[i], F[i], improved[i] = blk[k], v, True
                off += n
        active = np.flatnonzero(improved)
        if not len(active):
            break
    return X, F


def seen_rows(X: np.ndarray, avoid: np.ndarray | None) -> np.ndarray:
    """Boolean mask of the rows of ``X`` that equal (to 1e-9) a row of ``avoid``.

    Example:
        >>> seen_rows(np.array([[0.0, 1.0], [0.5, 0.5]]), np.array([[0.5, 0.5]])).tolist()
        [False, True]
    """
    if avoid is None or len(avoid) == 0:
        return np.zeros(len(X), dtype=bool)
    return np.array([bool(np.any(np.all(np.abs(avoid - x) < 1e-9, axis=1))) for x in X],
                    dtype=bool).reshape(len(X))


def optimize_acquisition(
    acq_values: Callable[[np.ndarray], np.ndarray],
    value_and_grad: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    layout: SearchLayout,
    rng: np.random.Generator,
    *,
    lengthscales: np.ndarray,
    incumbents: np.ndarray | None = None,
    avoid: np.ndarray | None = None,
    n_candidates: int = 1024,
    n_local_candidates: int = 256,
    n_starts: int = 5,
) -> tuple[np.ndarray, float]:
    """Maximise an acquisition over valid rows; returns ``(row, value)``.

    Args:
        acq_values: Values at a batch of rows.
        value_and_grad: Values and row gradients at a batch of rows.
        layout: The search layout of the codec.
        rng: Randomness for candidates and starts.
        lengthscales: Per-column lengthscales (preconditioning of the local search).
        incumbents: Rows to perturb for local candidates (e.g. the best observed points).
        avoid: Rows not to return (observed and pending points) when another is available.
        n_candidates: Quasi-random candidates.
        n_local_candidates: Perturbation candidates (split over the incumbents).
        n_starts: Local searches.

    Example:
        >>> from hyperscout.space import Float
        >>> lay = SearchLayout(SpaceCodec({"x": Float(0, 1)}, onehot=True))
        >>> f = lambda X: -(X[:, 0] - 0.3) ** 2
        >>> fg = lambda X: (f(X), -2 * (X - 0.3))
        >>> x, v = optimize_acquisition(f, fg, lay, np.random.default_rng(0),
        ...                             lengthscales=np.ones(1), n_candidates=16)
        >>> round(float(x[0]), 3)
        0.3
    """
    cands = [layout.random(n_candidates, rng)]
    if incumbents is not None and len(incumbents):
        cands.append(layout.perturb(incumbents, max(n_local_candidates // len(incumbents), 1),
                                    rng))
    X = np.vstack(cands)
    vals = acq_values(X)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    order = np.argsort(-vals, kind="stable")
    starts = [int(order[0])]
    if n_starts > 1 and np.isfinite(vals[order[0]]):
        w = np.exp(np.clip(vals - vals[order[0]], -700.0, 0.0))
        w[order[0]] = 0.0
        nz = int(np.count_nonzero(w > 0))
        k = min(n_starts - 1, nz)
        if k > 0:
            starts.extend(rng.choice(len(X), size=k, replace=False, p=w / w.sum()).tolist())
    LX, LF = local_search(acq_values, value_and_grad, layout, X[starts], vals[starts],
                          lengthscales, rng)
    n_keep = 64 if avoid is not None else 4 * n_starts
    results_x = [X[order[:n_keep]], LX]
    results_f = [vals[order[:n_keep]], LF]
    RX = np.vstack(results_x)
    RF = np.concatenate(results_f)
    order = np.argsort(-RF, kind="stable")
    ok = ~seen_rows(RX, avoid)
    for i in order:
        if ok[i]:
            return RX[i], float(RF[i])
    return RX[order[0]], float(RF[order[0]])
