"""Pure numpy kernels of the evolutionary samplers: CMA-ES (with margin) and GA operators.

Nothing here knows about trials or histories; :mod:`hyperscout.samplers.cmaes` and
:mod:`hyperscout.samplers.ga` are thin layers that replay a history through these functions.

CMA-ES follows N. Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772, 2016),
with the active (negative) recombination weights of its section 3 and the termination criteria of
its appendix B.3. The margin for discrete coordinates is R. Hamano, S. Saito, M. Nomura,
S. Shirakawa, "CMA-ES with Margin: Lower-Bounding Marginal Probability for Mixed-Integer
Black-Box Optimization" (GECCO 2022): after each update, the mean and a diagonal scaling ``A`` of
every discrete coordinate are corrected so that the probability of sampling outside the current
cell on each side stays at least ``alpha / 2``; the search never freezes on a plateau of integers.

All CMA-ES functions return new states instead of mutating their inputs, so a state can be cached
and replayed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import ndtr, ndtri

_EPS = 1e-30
SIGMA_MAX = 1e3
TOLFUN = 1e-12
TOLCONDITION = 1e14
TOLXUP = 1e4


# -- CMA-ES ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CmaConstants:
    """Strategy parameters that depend only on the dimension ``n`` and population size ``lam``."""

    n: int
    lam: int
    mu: int
    weights: np.ndarray
    mueff: float
    cc: float
    cs: float
    c1: float
    cmu: float
    damps: float
    chi_n: float
    funhist_term: int


def default_popsize(n: int) -> int:
    """Hansen's default population size ``4 + floor(3 ln n)``.

    Example:
        >>> default_popsize(2), default_popsize(10)
        (6, 10)
    """
    return 4 + int(math.floor(3.0 * math.log(max(n, 1))))


def cma_constants(n: int, lam: int) -> CmaConstants:
    """Default CMA-ES strategy parameters (tutorial, table 1), with active negative weights.

    Example:
        >>> k = cma_constants(4, 8)
        >>> k.mu, round(float(k.weights[: k.mu].sum()), 12)
        (4, 1.0)
    """
    if n < 1:
        raise ValueError(f"n={n}: CMA-ES needs at least one dimension")
    if lam < 2:
        raise ValueError(f"popsize={lam}: CMA-ES needs a population of at least 2")
    mu = lam // 2
    w = math.log((lam + 1) / 2.0) - np.log(np.arange(1, lam + 1))
    pos, neg = w[:mu], w[mu:]
    mueff = pos.sum() ** 2 / (pos**2).sum()
    mueff_neg = neg.sum() ** 2 / (neg**2).sum() if neg.size and np.any(neg != 0) else 0.0
    cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
    cs = (mueff + 2) / (n + mueff + 5)
    c1 = 2 / ((n + 1.3) ** 2 + mueff)
    cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
    weights = np.empty(lam)
    weights[:mu] = pos / pos.sum()
    if neg.size and np.any(neg != 0):
        alpha_mu = 1 + c1 / cmu if cmu > 0 else 1.0
        alpha_mueff = 1 + 2 * mueff_neg / (mueff + 2)
        alpha_posdef = (1 - c1 - cmu) / (n * cmu) if cmu > 0 else 1.0
        weights[mu:] = min(alpha_mu, alpha_mueff, alpha_posdef) * neg / np.abs(neg).sum()
    else:
        weights[mu:] = 0.0
    damps = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (n + 1)) - 1) + cs
    chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
    funhist_term = 10 + int(math.ceil(30 * n / lam))
    return CmaConstants(n, lam, mu, weights, float(mueff), cc, cs, c1, cmu, damps, chi_n,
                        funhist_term)


@dataclass(frozen=True)
class CmaState:
    """The search distribution ``N(mean, sigma^2 C)`` and its evolution paths.

    ``A`` is the margin's diagonal scaling (ones for continuous coordinates); ``B`` and ``D``
    are the eigenvectors and square-rooted eigenvalues of ``C``. ``funhist`` holds the best and
    worst value of recent generations (for the TolFun criterion).
    """

    mean: np.ndarray
    sigma: float
    C: np.ndarray
    p_sigma: np.ndarray
    p_c: np.ndarray
    B: np.ndarray
    D: np.ndarray
    A: np.ndarray
    generation: int = 0
    tolx: float = 1e-12
    funhist: tuple[float, ...] = field(default_factory=tuple)


def cma_init(mean: Sequence[float] | np.ndarray, sigma: float) -> CmaState:
    """A fresh state at ``mean`` with step size ``sigma`` and identity covariance.

    Example:
        >>> s = cma_init([0.5, 0.5], 0.2)
        >>> s.C.tolist(), s.sigma
        ([[1.0, 0.0], [0.0, 1.0]], 0.2)
    """
    m = np.asarray(mean, dtype=float).copy()
    n = m.size
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma0={sigma}: the initial step size must be a positive number")
    return CmaState(mean=m, sigma=float(sigma), C=np.eye(n), p_sigma=np.zeros(n),
                    p_c=np.zeros(n), B=np.eye(n), D=np.ones(n), A=np.ones(n),
                    tolx=1e-12 * float(sigma))


def cma_sample(
    state: CmaState,
    rng: np.random.Generator,
    bounded: np.ndarray | None = None,
    max_resample: int = 100,
) -> np.ndarray:
    """Draw one point ``mean + sigma * B D z``; coordinates where ``bounded`` is True must lie in
    ``[0, 1]`` (redrawn up to ``max_resample`` times, then clipped).

    Example:
        >>> x = cma_sample(cma_init([0.5, 0.5], 0.1), np.random.default_rng(0), np.ones(2, bool))
        >>> bool(np.all((x >= 0) & (x <= 1)))
        True
    """
    n = state.mean.size
    BD = state.B * state.D
    x = state.mean
    for _ in range(max(1, max_resample)):
        x = state.mean + state.sigma * (BD @ rng.standard_normal(n))
        if bounded is None or np.all((x[bounded] >= 0.0) & (x[bounded] <= 1.0)):
            return x
    if bounded is not None:
        x = x.copy()
        x[bounded] = np.clip(x[bounded], 0.0, 1.0)
    return x


def _eigen(C: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    C = (C + C.T) / 2.0
    d2, B = np.linalg.eigh(C)
    d2 = np.where(d2 < _EPS, _EPS, d2)
    C = (B * d2) @ B.T
    return C, B, np.sqrt(d2)


def cma_tell(state: CmaState, k: CmaConstants, X: np.ndarray, f: np.ndarray) -> CmaState:
    """One CMA-ES update from a full generation: ``X`` is ``(lam, n)``, ``f`` to be minimised.

    Example:
        >>> k = cma_constants(2, 6)
        >>> s = cma_init([0.5, 0.5], 0.3)
        >>> rng = np.random.default_rng(0)
        >>> for _ in range(60):
        ...     X = np.array([cma_sample(s, rng) for _ in range(6)])
        ...     s = cma_tell(s, k, X, ((X - 0.2) ** 2).sum(axis=1))
        >>> bool(np.allclose(s.mean, 0.2, atol=1e-3))
        True
    """
    X = np.asarray(X, dtype=float)
    f = np.asarray(f, dtype=float)
    if X.shape != (k.lam, k.n) or f.shape != (k.lam,):
        raise ValueError(f"expected X of shape ({k.lam}, {k.n}) and f of ({k.lam},); got "
                         f"{X.shape} and {f.shape}")
    order = np.argsort(np.where(np.isnan(f), np.inf, f), kind="stable")
    X, f = X[order], f[order]
    g = state.generation
    y = (X - state.mean) / state.sigma
    y_w = k.weights[: k.mu] @ y[: k.mu]
    mean = state.mean + state.sigma * y_w

    c_inv_sqrt = (state.B / state.D) @ state.B.T
    p_sigma = (1 - k.cs) * state.p_sigma + math.sqrt(k.cs * (2 - k.cs) * k.mueff) * (
        c_inv_sqrt @ y_w
    )
    norm_ps = float(np.linalg.norm(p_sigma))
    sigma = state.sigma * math.exp(min(1.0, (k.cs / k.damps) * (norm_ps / k.chi_n - 1)))
    sigma = min(sigma, SIGMA_MAX)

    h_sigma = float(
        norm_ps / math.sqrt(1 - (1 - k.cs) ** (2 * (g + 1))) < (1.4 + 2 / (k.n + 1)) * k.chi_n
    )
    p_c = (1 - k.cc) * state.p_c + h_sigma * math.sqrt(k.cc * (2 - k.cc) * k.mueff) * y_w

    w_io = k.weights.copy()
    neg = w_io < 0
    if np.any(neg):
        z2 = ((y[neg] @ c_inv_sqrt.T) ** 2).sum(axis=1)
        w_io[neg] *= k.n / np.maximum(z2, _EPS)
    delta_h = (1 - h_sigma) * k.cc * (2 - k.cc)
    rank_mu = (y.T * w_io) @ y
    C = (
        (1 + k.c1 * delta_h - k.c1 - k.cmu * k.weights.sum()) * state.C
        + k.c1 * np.outer(p_c, p_c)
        + k.cmu * rank_mu
    )
    C, B, D = _eigen(C)
    keep = 2 * k.funhist_term
    funhist = (*state.funhist, float(f[0]), float(f[-1]))[-keep:]
    return replace(state, mean=mean, sigma=sigma, C=C, p_sigma=p_sigma, p_c=p_c, B=B, D=D,
                   generation=g + 1, funhist=funhist)


def cma_should_stop(state: CmaState, k: CmaConstants) -> str | None:
    """The first termination criterion that holds (tutorial B.3), or ``None``.

    ``"tolfun"``: best and worst values of the last ``10 + 30n/lam`` generations span less than
    1e-12 (a plateau); ``"tolx"``: every standard deviation and the path are below 1e-12 sigma0;
    ``"tolxup"``: the step size blew up; ``"noeffectcoord"`` / ``"noeffectaxis"``: a step of 0.2
    (0.1) standard deviations no longer moves the mean; ``"conditioncov"``: ``cond(C) > 1e14``.

    Example:
        >>> cma_should_stop(cma_init([0.5, 0.5], 0.2), cma_constants(2, 6)) is None
        True
    """
    dC = np.diag(state.C)
    if (state.generation > k.funhist_term and len(state.funhist) >= 2 * k.funhist_term
            and max(state.funhist) - min(state.funhist) < TOLFUN):
        return "tolfun"
    if np.all(state.sigma * np.sqrt(dC) < state.tolx) and np.all(
        state.sigma * np.abs(state.p_c) < state.tolx
    ):
        return "tolx"
    if state.sigma * state.D.max() > TOLXUP:
        return "tolxup"
    if np.any(state.mean == state.mean + 0.2 * state.sigma * np.sqrt(dC)):
        return "noeffectcoord"
    i = state.generation % k.n
    if np.all(state.mean == state.mean + 0.1 * state.sigma * state.D[i] * state.B[:, i]):
        return "noeffectaxis"
    if (state.D.max() / state.D.min()) ** 2 > TOLCONDITION:
        return "conditioncov"
    return None


# -- margin for discrete coordinates --------------------------------------------------------
def cell_limits(thresholds: np.ndarray, m: float) -> tuple[float, float]:
    """The thresholds below and above ``m`` (cell boundaries, sorted); at an edge cell both are
    the one inner threshold, as in the reference implementation.

    Example:
        >>> cell_limits(np.array([0.25, 0.5, 0.75]), 0.6), cell_limits(np.array([0.5]), 0.1)
        ((0.5, 0.75), (0.5, 0.5))
    """
    pos = int(np.searchsorted(thresholds, m, side="left"))
    last = thresholds.size - 1
    return float(thresholds[min(max(pos - 1, 0), last)]), float(thresholds[min(pos, last)])


def margin_correct(
    state: CmaState,
    discrete: Sequence[int],
    thresholds: Sequence[np.ndarray],
    alpha: float,
) -> CmaState:
    """Correct ``mean`` and ``A`` on discrete coordinates so that the marginal probability of
    leaving the mean's cell is at least ``alpha / 2`` on each open side (Hamano et al. 2022).

    ``thresholds[j]`` are the cell boundaries of coordinate ``discrete[j]`` in the same space as
    the mean; samples are encoded as ``mean + A * (x - mean)`` and then rounded to their cell.

    Example:
        >>> s = cma_init([0.5, 0.5], 1e-6)                  # a collapsed distribution
        >>> s = margin_correct(s, [0], [np.array([1 / 3, 2 / 3])], alpha=0.1)
        >>> from scipy.special import ndtr
        >>> sd = s.sigma * s.A[0]
        >>> round(float(ndtr((1 / 3 - s.mean[0]) / sd)), 6)   # P(leave to the lower cell)
        0.05
    """
    if not len(discrete):
        return state
    idx = np.asarray(discrete, dtype=int)
    mean = state.mean.copy()
    A = state.A.copy()
    sigma = state.sigma
    c_sd = np.sqrt(np.diag(state.C)[idx])
    m = mean[idx]
    lims = np.array([cell_limits(np.asarray(t, dtype=float), mj) for t, mj in zip(thresholds, m)])
    low, up = lims[:, 0], lims[:, 1]
    scale = np.maximum(sigma * A[idx] * c_sd, _EPS)
    p_low = ndtr((low - m) / scale)
    p_up = 1.0 - ndtr((up - m) / scale)
    p_mid = 1.0 - p_low - p_up

    edge = np.maximum(p_low, p_up) > 0.5
    # a mean exactly on the boundary of an edge cell has both limits equal and probability 1/2
    # on each side: nothing to correct (and the side formula would collapse A to 0)
    side = ~edge & (up > low)
    if np.any(edge):
        modify = np.minimum(p_low, p_up) < alpha
        sign = np.sign(m - up)
        dist = sigma * A[idx] * c_sd * ndtri(1.0 - alpha)
        new_m = np.where(edge & modify, up + sign * dist, m)
        mean[idx] = new_m
        m = new_m

    p_low = np.maximum(p_low, alpha / 2)
    p_up = np.maximum(p_up, alpha / 2)
    denom = p_low + p_mid + p_up - 1.5 * alpha
    excess = 1.0 - p_low - p_up - p_mid
    mod_low = np.clip(p_low + excess * (p_low - alpha / 2) / denom, 1e-10, 0.5 - 1e-10)
    mod_up = np.clip(p_up + excess * (p_up - alpha / 2) / denom, 1e-10, 0.5 - 1e-10)
    chi_low = ndtri(1.0 - mod_low)
    chi_up = ndtri(1.0 - mod_up)
    new_A = (up - low) / ((chi_low + chi_up) * sigma * c_sd)
    new_mean = (low * chi_up + up * chi_low) / (chi_low + chi_up)
    A[idx] = np.where(side, new_A, A[idx])
    mean[idx] = np.where(side, new_mean, m)
    return replace(state, mean=mean, A=A)


# -- GA operators (unit space; nan = parameter absent) -------------------------------------
def tournament(fitness: np.ndarray, size: int, rng: np.random.Generator) -> int:
    """Index of the best (lowest) of ``size`` distinct random entries of ``fitness``.

    Example:
        >>> tournament(np.array([3.0, 1.0, 2.0]), 3, np.random.default_rng(0))
        1
    """
    k = min(size, fitness.size)
    pick = rng.choice(fitness.size, size=k, replace=False)
    return int(pick[np.argmin(fitness[pick])])


def blx_alpha(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, alpha: float = 0.5
              ) -> np.ndarray:
    """BLX-alpha: uniform in ``[min - alpha I, max + alpha I]`` per coordinate, ``I = |a - b|``,
    clipped to ``[0, 1]``.

    Example:
        >>> c = blx_alpha(np.array([0.2, 0.5]), np.array([0.4, 0.5]), np.random.default_rng(0))
        >>> bool(0.1 <= c[0] <= 0.5), float(c[1])
        (True, 0.5)
    """
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    span = hi - lo
    return np.clip(rng.uniform(lo - alpha * span, hi + alpha * span), 0.0, 1.0)


def sbx(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, eta: float = 15.0) -> np.ndarray:
    """Simulated binary crossover (Deb & Agrawal 1995) in ``[0, 1]``: one child per pair,
    spread around the parents with distribution index ``eta``.

    Example:
        >>> c = sbx(np.array([0.3]), np.array([0.3]), np.random.default_rng(0))
        >>> float(c[0])
        0.3
    """
    u = rng.random(a.shape)
    beta = np.where(u <= 0.5, (2 * u) ** (1 / (eta + 1)), (1 / (2 * (1 - u))) ** (1 / (eta + 1)))
    sign = np.where(rng.random(a.shape) < 0.5, 1.0, -1.0)
    child = 0.5 * ((a + b) + sign * beta * (b - a))
    return np.clip(child, 0.0, 1.0)


def gaussian_mutation(u: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """``u + N(0, scale^2)``, reflected back into ``[0, 1]``.

    Example:
        >>> v = gaussian_mutation(np.full(100, 0.99), 0.3, np.random.default_rng(0))
        >>> bool(np.all((v >= 0) & (v <= 1)))
        True
    """
    v = u + scale * rng.standard_normal(u.shape)
    v = np.abs(v)                      # reflect at 0
    v = np.where(v > 1.0, 2.0 - v, v)  # reflect at 1
    return np.clip(v, 0.0, 1.0)
