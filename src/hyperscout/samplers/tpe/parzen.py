"""Parzen estimators for TPE, in the codec's unit cube (pure numpy; ``scipy.special`` for Phi).

The TPE sampler models the good and the bad trials each by a Parzen estimator (a kernel density
estimator): a mixture with one kernel per observation plus one *prior* component,

    p(x) = sum_i w_i prod_j K_ij(x_j) + w_prior * U(x),        sum_i w_i + w_prior = 1,

over the columns of :class:`~hyperscout.space.codec.SpaceCodec` with ``onehot=False``, so every
column lives in ``[0, 1]``. Three kinds of column, each with a proper kernel:

- **continuous** (``Float`` without a step, linear or log: the codec already maps log scales
  linearly to ``[0, 1]``): a Gaussian truncated to ``[0, 1]``; ``K_ij`` is a density.
- **discrete** (``Int``, ``Float`` with a step): the same truncated Gaussian, *integrated over the
  cell* ``[e_k, e_{k+1})`` that each grid point owns in the unit interval (the codec's padding
  gives every grid point a cell; log-scaled ints have cells of unequal width). ``K_ij`` is then a
  probability mass over the grid that sums to 1 exactly -- no rounding of densities.
- **categorical**: an Aitchison-Aitken kernel: an observation keeps mass ``1 - lam`` on its own
  choice and spreads ``lam`` evenly over the other ``c - 1`` choices (:func:`categorical_kernel`;
  :func:`fit_parzen` sets ``lam`` from the number of observations).

The prior component ``U`` is the uniform distribution of the unit cube: density 1 on continuous
columns, the cell width on discrete ones (the same law random search draws from), ``1/c`` on
categorical ones. It keeps ``l(x) / g(x)`` bounded and lets TPE still explore.

Samples come back in unit coordinates: continuous columns as drawn, discrete columns at the unit
code of their grid point (inside its cell), categorical columns at ``(k + 0.5) / c``, so
``SpaceCodec.decode`` turns a row into parameters.

References: Bergstra et al., "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011;
Falkner et al., "BOHB", ICML 2018 (multivariate KDE); Watanabe, "Tree-Structured Parzen
Estimator: Understanding Its Algorithm Components", 2023 (bandwidth, prior and splitting
ablations).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONTINUOUS = "continuous"
DISCRETE = "discrete"
CATEGORICAL = "categorical"

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TINY = 1e-300


def _special():  # scipy.special is heavy to import; only pay for it when TPE models something
    import scipy.special

    return scipy.special


@dataclass(frozen=True)
class Column:
    """How one unit-space column is modelled.

    Discrete and categorical columns split ``[0, 1]`` into ``n`` cells, one per grid point:
    equal cells for linear grids and categoricals, and for a log-scaled integer ``low..high``
    the cells the codec gives it (value ``v`` owns ``[log(v - 1/2), log(v + 1/2)]``, rescaled).
    Cells are computed on demand, so a grid of a million integers costs nothing up front.

    Attributes:
        kind: ``"continuous"``, ``"discrete"`` or ``"categorical"``.
        n: Number of cells (0 for continuous).
        log_low: For a log-scaled integer grid, its lowest value (``None`` otherwise).

    Example:
        >>> col = Column.discrete(4)
        >>> col.cell_of(np.array([0.0, 0.3, 0.99])).tolist(), col.center(np.array([1])).tolist()
        ([0, 1, 3], [0.375])
        >>> Column.categorical(3).center(np.arange(3)).round(3).tolist()
        [0.167, 0.5, 0.833]
    """

    kind: str
    n: int = 0
    log_low: float | None = None

    @staticmethod
    def continuous() -> Column:
        return Column(CONTINUOUS)

    @staticmethod
    def discrete(n: int, *, log_low: float | None = None) -> Column:
        """A grid of ``n`` points: equal cells, or a log-scaled integer grid from ``log_low``."""
        if n < 1:
            raise ValueError(f"n={n}; a discrete column needs at least one grid point")
        if log_low is not None and log_low < 1:
            raise ValueError(f"log_low={log_low}; a log-scaled integer grid starts at >= 1")
        return Column(DISCRETE, int(n), None if log_low is None else float(log_low))

    @staticmethod
    def categorical(n_choices: int) -> Column:
        if n_choices < 1:
            raise ValueError(f"n_choices={n_choices}; a categorical needs at least one choice")
        return Column(CATEGORICAL, int(n_choices))

    def _log_span(self) -> tuple[float, float]:
        lo = math.log(self.log_low - 0.5)  # type: ignore[operator]
        return lo, math.log(self.log_low - 0.5 + self.n) - lo  # type: ignore[operator]

    def edge(self, k: np.ndarray) -> np.ndarray:
        """Left edge of cell ``k`` (``k == n`` gives 1), in unit coordinates."""
        k = np.asarray(k)
        if self.log_low is None:
            return k / self.n
        lo, span = self._log_span()
        return np.clip((np.log(self.log_low - 0.5 + k) - lo) / span, 0.0, 1.0)

    def center(self, k: np.ndarray) -> np.ndarray:
        """Unit code of grid point ``k`` (inside its cell)."""
        k = np.asarray(k)
        if self.log_low is None:
            return (k + 0.5) / self.n
        lo, span = self._log_span()
        return (np.log(self.log_low + k) - lo) / span

    def cell_of(self, u: np.ndarray) -> np.ndarray:
        """Index of the cell each unit value falls in."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.log_low is None:
            k = np.floor(u * self.n)
        else:
            lo, span = self._log_span()
            k = np.floor(np.exp(lo + u * span) - (self.log_low - 0.5))
        return np.clip(k, 0, self.n - 1).astype(np.int64)


# -- small kernels ----------------------------------------------------------------------------
def log_gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b``, accurate in both tails.

    Example:
        >>> float(np.exp(log_gauss_mass(np.array(-np.inf), np.array(0.0))))
        0.5
    """
    sp = _special()
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    shape = a.shape
    a, b = a.ravel(), b.ravel()
    upper = a > 0  # both in the upper tail: use the mirror image, where Phi is accurate
    lo = np.where(upper, -b, a)
    hi = np.where(upper, -a, b)
    mass = sp.ndtr(hi) - sp.ndtr(lo)
    out = np.log(np.maximum(mass, _TINY))
    far = mass < 1e-280  # both deep in one tail: log-space difference
    if np.any(far):
        lhi = sp.log_ndtr(hi[far])
        llo = sp.log_ndtr(lo[far])
        out[far] = lhi + np.log(np.maximum(-np.expm1(np.minimum(llo - lhi, 0.0)), _TINY))
    return out.reshape(shape)


def neighbor_bandwidths(
    mus: np.ndarray, *, consider_endpoints: bool = False, min_bandwidth: float = 0.0
) -> np.ndarray:
    """Per-kernel bandwidths from gaps to the neighbouring observations (hyperopt/Optuna rule).

    Each observation's bandwidth is the larger of the distances to its left and right neighbours
    in sorted order, with 0 and 1 as outer neighbours. Without ``consider_endpoints`` the
    outermost observations use the gap to their inner neighbour only (when there are >= 2).
    The result is clipped to ``[min_bandwidth, 1]``.

    Args:
        mus: Kernel centres in ``[0, 1]``, shape ``(n,)``.

    Returns:
        Shape ``(n,)``.

    Example:
        >>> neighbor_bandwidths(np.array([0.5, 0.1, 0.2])).round(2).tolist()
        [0.3, 0.1, 0.3]
    """
    mus = np.asarray(mus, dtype=float)
    n = len(mus)
    if n == 0:
        return np.zeros(0)
    order = np.argsort(mus, kind="stable")
    ext = np.concatenate([[0.0], mus[order], [1.0]])
    left = ext[1:-1] - ext[:-2]
    right = ext[2:] - ext[1:-1]
    sig = np.maximum(left, right)
    if not consider_endpoints and n >= 2:
        sig[0] = right[0]
        sig[-1] = left[-1]
    out = np.empty(n)
    out[order] = sig
    return np.clip(out, min_bandwidth, 1.0)


def scott_bandwidth(X: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Scott's rule per column for a ``d``-dimensional product kernel: ``1.06 s n^(-1/(d+4))``.

    ``s`` is the robust spread ``min(std, IQR / 1.34)`` of each column (weighted std with
    ``weights``), falling back to the std when the IQR is 0. Shape ``(n, d) -> (d,)``; no clipping.

    Example:
        >>> X = np.random.default_rng(0).normal(0.5, 0.1, size=(1000, 1))
        >>> 0.015 < float(scott_bandwidth(X)[0]) < 0.03
        True
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    n, d = X.shape
    if n == 0:
        return np.ones(d)
    if weights is None:
        w = np.full(n, 1.0 / n)
    else:
        w = np.asarray(weights, dtype=float)
        w = w / w.sum()
    mean = w @ X
    std = np.sqrt(np.maximum(w @ (X - mean) ** 2, 0.0))
    q75, q25 = np.percentile(X, [75, 25], axis=0)
    iqr = (q75 - q25) / 1.34
    s = np.where(iqr > 0, np.minimum(std, iqr), std)
    n_eff = 1.0 / float(np.sum(w**2))
    return 1.06 * s * n_eff ** (-1.0 / (d + 4))


def categorical_kernel(
    indices: np.ndarray, n_choices: int, smoothing: float | np.ndarray
) -> np.ndarray:
    """Aitchison-Aitken kernel: row ``i`` is the distribution kernel ``i`` puts on the choices.

    Observation ``i`` with choice ``k_i`` keeps ``1 - lam`` on ``k_i`` and gives ``lam/(c-1)`` to
    each other choice, where ``lam = smoothing * (c - 1) / c`` (``smoothing`` in ``[0, 1]``; 1 is
    uniform). Shape ``(n,) -> (n, c)``; every row sums to 1.

    Example:
        >>> categorical_kernel(np.array([0, 2]), 3, 0.3).round(2).tolist()
        [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]
    """
    idx = np.asarray(indices, dtype=np.int64)
    n = len(idx)
    if n_choices == 1:
        return np.ones((n, 1))
    s = np.clip(np.broadcast_to(np.asarray(smoothing, dtype=float), (n,)), 0.0, 1.0)
    off = s / n_choices
    P = np.repeat(off[:, None], n_choices, axis=1)
    P[np.arange(n), idx] = 1.0 - off * (n_choices - 1)
    return P


# -- the estimator ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ParzenEstimator:
    """A fitted mixture of product kernels plus a uniform prior component (see module doc).

    Build one with :func:`fit_parzen`. Numeric columns (continuous and discrete) have kernel
    centres ``mus`` and bandwidths ``sigmas``; categorical columns have a probability row per
    kernel in ``cat_probs``.

    Attributes:
        columns: The column descriptions, one per unit-space column.
        weights: Mixture weights, shape ``(n + 1,)``; the last one is the prior's.
        mus: Shape ``(n, n_numeric)``.
        sigmas: Shape ``(n, n_numeric)``.
        cat_probs: One ``(n, c_j)`` array per categorical column.
    """

    columns: tuple[Column, ...]
    weights: np.ndarray
    mus: np.ndarray
    sigmas: np.ndarray
    cat_probs: tuple[np.ndarray, ...]
    _num: np.ndarray  # column indices of numeric columns
    _cont: np.ndarray  # positions (within numeric) of continuous columns
    _disc: np.ndarray  # positions (within numeric) of discrete columns
    _cat: np.ndarray  # column indices of categorical columns
    _log_z: np.ndarray  # (n, n_numeric): log of each kernel's mass inside [0, 1]
    _cont_const: np.ndarray  # (n,): sum over continuous columns of -log(sigma sqrt(2 pi)) - log z
    # per discrete column: the distinct (mu, sigma, log z) kernels and each kernel's position
    _disc_unique: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]

    @property
    def n_kernels(self) -> int:
        """Number of observation kernels (the prior not counted)."""
        return len(self.weights) - 1

    @property
    def dim(self) -> int:
        return len(self.columns)

    def log_pdf(self, X: np.ndarray) -> np.ndarray:
        """Log density (mass on discrete and categorical columns) at each row of ``X``.

        Args:
            X: Shape ``(m, d)``, unit coordinates (discrete/categorical values anywhere in
                their cell).

        Returns:
            Shape ``(m,)``.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        m = len(X)
        n = self.n_kernels
        log_w = np.log(np.maximum(self.weights, _TINY))
        prior = np.full(m, log_w[-1])
        cols = self.columns
        for j in self._num[self._disc]:
            col = cols[j]
            k = col.cell_of(X[:, j])
            prior += np.log(col.edge(k + 1) - col.edge(k))
        for j in self._cat:
            prior -= math.log(cols[j].n)
        if n == 0:
            return prior
        comp = np.broadcast_to(log_w[:-1], (m, n)).copy()  # (m, n)
        if len(self._cont):
            num_c = self._num[self._cont]
            xc = X[:, num_c]  # (m, dc)
            mu = self.mus[:, self._cont]  # (n, dc)
            inv2 = 1.0 / self.sigmas[:, self._cont] ** 2  # (n, dc)
            # sum_j (x_j - mu_ij)^2 / s_ij^2 with three products instead of an (m, n, dc) tensor
            quad = (xc**2) @ inv2.T - 2.0 * xc @ (mu * inv2).T + np.sum(mu**2 * inv2, axis=1)
            comp += -0.5 * np.maximum(quad, 0.0) + self._cont_const
        for pos, (umu, usig, ulogz, inv) in zip(self._disc, self._disc_unique):
            # kernels on a grid repeat (mu, sigma) and candidates repeat cells: evaluate each
            # distinct (cell, kernel) pair once, then gather
            col = cols[self._num[pos]]
            ku, kinv = np.unique(col.cell_of(X[:, self._num[pos]]), return_inverse=True)
            lo = col.edge(ku)[:, None]
            hi = col.edge(ku + 1)[:, None]
            mass = log_gauss_mass((lo - umu) / usig, (hi - umu) / usig) - ulogz  # (u_k, u_kernels)
            comp += mass[np.ix_(kinv.ravel(), inv)]
        for c, j in enumerate(self._cat):
            k = cols[j].cell_of(X[:, j])
            comp += np.log(np.maximum(self.cat_probs[c][:, k].T, _TINY))
        top = np.maximum(comp.max(axis=1), prior)
        total = np.exp(comp - top[:, None]).sum(axis=1) + np.exp(prior - top)
        return top + np.log(total)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` rows from the mixture, in unit coordinates. Shape ``(size, d)``."""
        sp = _special()
        d = self.dim
        n = self.n_kernels
        cum = np.cumsum(self.weights)
        comp = np.minimum(np.searchsorted(cum, rng.random(size) * cum[-1], side="right"), n)
        is_prior = comp == n
        k = np.where(is_prior, 0, comp)  # kernel index (any valid one for prior rows)
        out = np.empty((size, d))
        cols = self.columns
        if len(self._num):
            u = rng.random((size, len(self._num)))
            if n:
                mu = self.mus[k]
                sig = self.sigmas[k]
                a = sp.ndtr(-mu / sig)
                b = sp.ndtr((1.0 - mu) / sig)
                z = sp.ndtri(np.clip(a + u * (b - a), 1e-300, 1.0 - 1e-16))
                x = np.clip(mu + sig * z, 0.0, 1.0)
                x = np.where(is_prior[:, None], u, x)
            else:
                x = u
            out[:, self._num] = x
            for pos in self._disc:
                j = self._num[pos]
                col = cols[j]
                out[:, j] = col.center(col.cell_of(out[:, j]))
        for c, j in enumerate(self._cat):
            col = cols[j]
            nc = col.n
            if n:
                P = self.cat_probs[c][k]
                P = np.where(is_prior[:, None], 1.0 / nc, P)
                cp = np.cumsum(P, axis=1)
                r = rng.random(size)[:, None] * cp[:, -1:]
                idx = np.minimum((cp <= r).sum(axis=1), nc - 1)
            else:
                idx = rng.integers(nc, size=size)
            out[:, j] = col.center(idx)
        return out


def fit_parzen(
    X: np.ndarray,
    columns: Sequence[Column],
    *,
    weights: np.ndarray | None = None,
    prior_weight: float = 1.0,
    bandwidth: str = "neighbor",
    min_bandwidth: float | None = None,
    bandwidth_factor: float = 1.0,
    categorical_smoothing: float | None = None,
) -> ParzenEstimator:
    """Fit a Parzen estimator to observations ``X`` (rows in unit coordinates, no nan).

    Args:
        X: Shape ``(n, d)``; ``n`` may be 0 (the estimator is then the prior alone).
        columns: ``d`` column descriptions.
        weights: Non-negative observation weights, shape ``(n,)`` (default: all 1, a full
            observation each); the prior weighs ``prior_weight`` on the same scale, so
            down-weighted (old) observations leave the prior a larger share. The mixture
            weights are then normalised to sum to 1.
        prior_weight: Weight of the uniform prior component (> 0 keeps every density positive).
        bandwidth: Rule for numeric columns:

            - ``"neighbor"``: per kernel, the larger gap to its neighbours in that column
              (hyperopt and Optuna's rule), see :func:`neighbor_bandwidths`;
            - ``"scott"``: one bandwidth per column by Scott's rule for the product kernel in
              ``d`` dimensions, see :func:`scott_bandwidth`.

            Then multiplied by ``bandwidth_factor`` and clipped to ``[min_bandwidth, 1]``.
        min_bandwidth: Lower clip (the "magic clip"); default ``1 / min(100, n + 2)``. Discrete
            columns are never narrower than a quarter of their average cell, so a kernel never
            collapses onto one grid point.
        bandwidth_factor: Multiplies every numeric bandwidth before clipping.
        categorical_smoothing: The ``smoothing`` of :func:`categorical_kernel`; default
            ``c * prior_weight / (n + c * prior_weight)`` for ``c`` choices and ``n``
            observations: the more observations, the sharper the kernel.

    Returns:
        The fitted :class:`ParzenEstimator`.

    Example:
        >>> pe = fit_parzen(np.array([[0.2], [0.3]]), [Column.continuous()])
        >>> xs = np.linspace(0, 1, 2001)[:, None]
        >>> round(float(np.trapezoid(np.exp(pe.log_pdf(xs)), xs[:, 0])), 4)
        1.0
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    columns = tuple(columns)
    d = len(columns)
    if X.shape[1] != d:
        if len(X) == 0 or X.size == 0:
            X = np.zeros((0, d))
        else:
            raise ValueError(f"X has {X.shape[1]} columns but {d} column descriptions were given")
    n = len(X)
    if np.isnan(X).any():
        raise ValueError("X contains nan; fit only on trials that have every column")
    if not prior_weight > 0:
        raise ValueError(f"prior_weight={prior_weight}; it must be > 0 (e.g. 1.0)")
    if bandwidth not in ("neighbor", "scott"):
        raise ValueError(f"bandwidth={bandwidth!r}; use 'neighbor' or 'scott'")
    if weights is None:
        w = np.ones(n)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(f"weights must be {n} finite non-negative numbers; got {w!r}")
        if n and not w.sum() > 0:
            raise ValueError("weights are all 0; give at least one observation a weight > 0")
    mix = np.append(w, prior_weight)
    mix = mix / mix.sum()

    num = np.array([j for j, c in enumerate(columns) if c.kind != CATEGORICAL], dtype=np.int64)
    cat = np.array([j for j, c in enumerate(columns) if c.kind == CATEGORICAL], dtype=np.int64)
    cont = np.array([p for p, j in enumerate(num) if columns[j].kind == CONTINUOUS], dtype=np.int64)
    disc = np.array([p for p, j in enumerate(num) if columns[j].kind == DISCRETE], dtype=np.int64)

    mus = X[:, num] if len(num) else np.zeros((n, 0))
    if min_bandwidth is None:
        min_bandwidth = 1.0 / min(100.0, n + 2.0)
    if bandwidth == "scott" and n:
        sig_col = scott_bandwidth(mus, w) if len(num) else np.zeros(0)
        sigmas = np.broadcast_to(sig_col, (n, len(num))).copy()
    else:
        sigmas = np.empty((n, len(num)))
        for p in range(len(num)):
            sigmas[:, p] = neighbor_bandwidths(mus[:, p])
    sigmas *= bandwidth_factor
    lows = np.full(len(num), float(min_bandwidth))
    for p in disc:
        col = columns[num[p]]
        lows[p] = max(lows[p], 0.25 / col.n)
    sigmas = np.clip(sigmas, lows, 1.0) if n else sigmas

    log_z = log_gauss_mass(-mus / sigmas, (1.0 - mus) / sigmas) if n else np.zeros((0, len(num)))
    if len(cont) and n:
        cont_const = np.sum(
            -np.log(sigmas[:, cont]) - _LOG_SQRT_2PI - log_z[:, cont], axis=1
        )
    else:
        cont_const = np.zeros(n)

    cat_probs = []
    for j in cat:
        col = columns[j]
        nc = col.n
        if categorical_smoothing is None:
            smooth = min(1.0, nc * prior_weight / (n + nc * prior_weight)) if n else 1.0
        else:
            smooth = categorical_smoothing
        cat_probs.append(categorical_kernel(col.cell_of(X[:, j]), nc, smooth))

    disc_unique = []
    for p in disc:
        pairs, inv = np.unique(mus[:, p] + 1j * sigmas[:, p], return_inverse=True)
        inv = inv.ravel()
        first = np.zeros(len(pairs), dtype=np.int64)
        first[inv] = np.arange(n)
        disc_unique.append((pairs.real.copy(), pairs.imag.copy(), log_z[first, p], inv))

    return ParzenEstimator(
        columns=columns,
        weights=mix,
        mus=mus,
        sigmas=sigmas,
        cat_probs=tuple(cat_probs),
        _num=num,
        _cont=cont,
        _disc=disc,
        _cat=cat,
        _log_z=log_z,
        _cont_const=cont_const,
        _disc_unique=tuple(disc_unique),
    )
