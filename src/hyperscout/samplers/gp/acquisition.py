"""Acquisition functions for minimisation, as pure vectorised numpy functions.

Each takes the posterior ``mean`` and ``var`` of the latent function at ``m`` points and the
incumbent ``best`` (the value to improve on, smaller is better) and returns
``(value, d value/d mean, d value/d var)``, each of shape ``(m,)``; larger values are better.
:class:`Acquisition` chains these with the GP's input gradients.

- ``log_ei``: ``log E[max(best - f, 0)]``, computed in log space so that it stays finite and
  informative where EI underflows (Ament et al., 2023, "Unexpected improvements to expected
  improvement for Bayesian optimization"; BoTorch's ``_log_ei_helper``).
- ``log_pi``: ``log P(f < best)`` via ``scipy.special.log_ndtr``.
- ``ucb``: the lower confidence bound ``-(mean - beta * sd)`` (a UCB for minimisation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

if TYPE_CHECKING:
    from hyperscout.samplers.gp.likelihood import GaussianProcess

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_SQRT_HALF_PI = 0.5 * math.log(0.5 * math.pi)
_ASYMPTOTIC_BELOW = -100.0

AcqResult = tuple[np.ndarray, np.ndarray, np.ndarray]


def _log1mexp(w: np.ndarray) -> np.ndarray:
    """``log(1 - exp(w))`` for ``w < 0``, accurate on both sides of ``-log 2``."""
    return np.where(w > -math.log(2.0), np.log(-np.expm1(np.minimum(w, -1e-300))),
                    np.log1p(-np.exp(np.minimum(w, 0.0))))


def log_h(u: np.ndarray) -> np.ndarray:
    """``log(phi(u) + u * Phi(u))``: log of the standard expected improvement, stable for all u.

    - ``u > -1``: the direct formula (no cancellation there);
    - ``-100 <= u <= -1``: ``h = phi(u) (1 - |u| sqrt(pi/2) erfcx(-u/sqrt 2))``, with
      ``log1mexp`` for the bracket;
    - ``u < -100``: the asymptotic series ``h = phi(u)/u**2 (1 - 3/u**2 + 15/u**4 - ...)``.

    Example:
        >>> bool(np.isfinite(log_h(np.array([-40.0, -1e6]))).all())
        True
    """
    u = np.asarray(u, dtype=float)
    out = np.empty_like(u)
    up = u > -1.0
    uu = u[up]
    out[up] = np.log(np.exp(-0.5 * uu * uu - _LOG_SQRT_2PI) + uu * ndtr(uu))
    mid = (~up) & (u >= _ASYMPTOTIC_BELOW)
    um = u[mid]
    w = np.log(-um) + np.log(erfcx(-um / math.sqrt(2.0))) + _LOG_SQRT_HALF_PI
    out[mid] = -0.5 * um * um - _LOG_SQRT_2PI + _log1mexp(w)
    lo = u < _ASYMPTOTIC_BELOW
    ul = u[lo]
    inv2 = 1.0 / (ul * ul)
    out[lo] = (-0.5 * ul * ul - _LOG_SQRT_2PI - np.log(ul * ul)
               + np.log1p(inv2 * (-3.0 + 15.0 * inv2)))
    return out


def dlog_h(u: np.ndarray, log_h_u: np.ndarray) -> np.ndarray:
    """Derivative of :func:`log_h`: ``h'(u) / h(u) = Phi(u) / h(u)`` (computed in log space)."""
    return np.exp(log_ndtr(u) - log_h_u)


def ei(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """Plain expected improvement ``sd * h((best - mean)/sd)`` (underflows far from ``best``).

    Example:
        >>> round(float(ei(np.array([0.0]), np.array([1.0]), 0.0)[0]), 4)
        0.3989
    """
    sd = np.sqrt(var)
    u = (best - mean) / sd
    return sd * (np.exp(-0.5 * u * u - _LOG_SQRT_2PI) + u * ndtr(u))


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> AcqResult:
    """``log EI`` and its derivatives w.r.t. ``mean`` and ``var``.

    Example:
        >>> v, dm, dv = log_ei(np.array([0.0, 50.0]), np.array([1.0, 1.0]), 0.0)
        >>> round(float(v[0]), 4), bool(np.isfinite(v[1])), bool(dm[1] < 0)
        (-0.9189, True, True)
    """
    sd = np.sqrt(var)
    u = (best - mean) / sd
    lh = log_h(u)
    g = dlog_h(u, lh)
    return lh + np.log(sd), -g / sd, (1.0 - g * u) / (2.0 * var)


def log_pi(mean: np.ndarray, var: np.ndarray, best: float) -> AcqResult:
    """``log P(f < best)`` and its derivatives w.r.t. ``mean`` and ``var``.

    Example:
        >>> v, _, _ = log_pi(np.array([0.0]), np.array([1.0]), 0.0)
        >>> round(float(np.exp(v[0])), 4)
        0.5
    """
    sd = np.sqrt(var)
    u = (best - mean) / sd
    lp = log_ndtr(u)
    g = np.exp(-0.5 * u * u - _LOG_SQRT_2PI - lp)
    return lp, -g / sd, -g * u / (2.0 * var)


def ucb(mean: np.ndarray, var: np.ndarray, best: float, beta: float = 2.0) -> AcqResult:
    """Confidence bound for minimisation, ``beta * sd - mean``, and its derivatives.

    Example:
        >>> ucb(np.array([1.0]), np.array([4.0]), 0.0, beta=2.0)[0].tolist()
        [3.0]
    """
    sd = np.sqrt(var)
    return beta * sd - mean, -np.ones_like(mean), beta / (2.0 * sd)


ACQUISITIONS: dict[str, Callable[..., AcqResult]] = {
    "log_ei": log_ei, "log_pi": log_pi, "ucb": ucb,
}


class Acquisition:
    """An acquisition bound to a fitted GP: values and input gradients for batches of rows.

    Args:
        gp: A :class:`~hyperscout.samplers.gp.likelihood.GaussianProcess` (anything with
            ``predict`` and ``predict_grad``).
        kind: ``"log_ei"``, ``"log_pi"`` or ``"ucb"``.
        best: Incumbent on the GP's target scale (smaller is better).
        beta: UCB's width in standard deviations.
        var_offset: Subtracted from the posterior variance (floored at ``var_floor``) before
            the acquisition sees it. With a near-deterministic objective, pass the noise
            variance: the latent variance at an observed point is then about 0 instead of the
            noise floor, whose ``sqrt`` would otherwise give EI a floor that makes
            re-evaluating the incumbent look better than exploring (a seen failure mode).
        var_floor: Smallest variance passed on.
    """

    def __init__(self, gp: GaussianProcess, kind: str, best: float, beta: float = 2.0,
                 var_offset: float = 0.0, var_floor: float = 1e-12) -> None:
        if kind not in ACQUISITIONS:
            raise ValueError(
                f"acquisition={kind!r} is not known; use one of {sorted(ACQUISITIONS)}"
            )
        self.gp = gp
        self.kind = kind
        self.best = float(best)
        self.beta = float(beta)
        self.var_offset = float(var_offset)
        self.var_floor = float(var_floor)

    def _apply(self, mean: np.ndarray, var: np.ndarray) -> AcqResult:
        if self.kind == "ucb":
            return ucb(mean, var, self.best, self.beta)
        return ACQUISITIONS[self.kind](mean, var, self.best)

    def _adjust(self, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = var - self.var_offset
        low = v < self.var_floor
        return np.where(low, self.var_floor, v), low

    def _values(self, x: np.ndarray) -> np.ndarray:
        mean, var = self.gp.predict(x)
        return self._apply(mean, self._adjust(var)[0])[0]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Values at rows ``x`` (``(m, d)``), in chunks to bound memory."""
        x = np.atleast_2d(x)
        out = np.empty(len(x))
        for s in range(0, len(x), 2048):
            out[s: s + 2048] = self._values(x[s: s + 2048])
        return out

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(m,)`` and gradients ``(m, d)`` at rows ``x``."""
        mean, var, dmean, dvar = self.gp.predict_grad(np.atleast_2d(x))
        var, low = self._adjust(var)
        val, dm, dv = self._apply(mean, var)
        dv = np.where(low, 0.0, dv)
        return val, dm[:, None] * dmean + dv[:, None] * dvar


def mean_variance_front(mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both low ``mean`` and high ``var``
    (the non-dominated set for minimisation), in order of increasing mean.

    Example:
        >>> mean_variance_front(np.array([0.0, 1.0, 2.0, 0.5]),
        ...                     np.array([0.1, 0.5, 0.2, 0.05])).tolist()
        [0, 1]
    """
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    order = np.lexsort((-var, mean))  # by mean, ties: larger variance first
    front = []
    best_var = -np.inf
    for i in order:
        if var[i] > best_var:
            front.append(int(i))
            best_var = var[i]
    return np.array(front, dtype=np.int64)
