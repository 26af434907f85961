"""Constrained acquisition: probability of feasibility times the acquisition (pure numpy).

With constraints ``c_k(x) <= 0`` each modelled by its own GP (Gardner et al. 2014, "Bayesian
optimization with inequality constraints"), the acquisition of a point is
``log a(x) + sum_k log P(c_k(x) <= 0)``, where ``P(c_k <= 0) = Phi((t_k - mean_k) / sd_k)`` on
the GP's standardised scale (``t_k`` is 0 on that scale). The incumbent of ``a`` is the best
*feasible* observation; while no observation is feasible, only the probability of feasibility
is maximised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import log_ndtr

from hyperscout.multiobjective.constraints import constraint_values
from hyperscout.samplers.gp.kernels import KernelSpec
from hyperscout.samplers.gp.likelihood import NOISE_FLOOR, GaussianProcess, fit
from hyperscout.trial.record import FrozenTrial

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def constraint_matrix(trials: Sequence[FrozenTrial]) -> np.ndarray | None:
    """Stored constraint values of ``trials``, shape ``(n, k)``; ``None`` when none of them
    has any (an unconstrained study), ``nan`` rows for trials without them.

    Example:
        >>> from hyperscout.trial import TrialState
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0],
        ...                       system_attrs={"constraints": [0.5, -1.0]})
        >>> constraint_matrix([t]).tolist(), constraint_matrix([]) is None
        ([[0.5, -1.0]], True)
    """
    rows = [constraint_values(t) for t in trials]
    k = max((len(r) for r in rows if r is not None), default=0)
    if k == 0:
        return None
    out = np.full((len(rows), k), np.nan)
    for i, r in enumerate(rows):
        if r is not None and len(r) == k:
            out[i] = r
    return out


def log_pof(mean: np.ndarray, var: np.ndarray, threshold: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``log P(c <= threshold)`` for ``c ~ N(mean, var)`` and its derivatives w.r.t. mean, var.

    Example:
        >>> v, dm, dv = log_pof(np.array([0.0]), np.array([1.0]), 0.0)
        >>> round(float(np.exp(v[0])), 3), bool(dm[0] < 0)
        (0.5, True)
    """
    sd = np.sqrt(var)
    u = (threshold - mean) / sd
    lp = log_ndtr(u)
    g = np.exp(-0.5 * u * u - _LOG_SQRT_2PI - lp)  # phi(u) / Phi(u)
    return lp, -g / sd, -g * u / (2.0 * var)


class ConstrainedAcquisition:
    """``base(x) + sum_k log P(c_k(x) <= 0)``, with the same interface as
    :class:`~hyperscout.samplers.gp.acquisition.Acquisition` (``__call__``, ``value_and_grad``).

    Args:
        base: The objective's acquisition (log-scale: log-EI or log-PI), or ``None`` to maximise
            the probability of feasibility alone.
        gps: One GP per constraint, fitted on standardised constraint values.
        thresholds: Where each standardised constraint crosses 0.
    """

    def __init__(self, base, gps: Sequence[GaussianProcess], thresholds: Sequence[float]) -> None:
        self.base = base
        self.gps = list(gps)
        self.thresholds = [float(t) for t in thresholds]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        out = np.zeros(len(x)) if self.base is None else self.base(x)
        for gp, t in zip(self.gps, self.thresholds):
            for s in range(0, len(x), 2048):
                mean, var = gp.predict(x[s: s + 2048])
                out[s: s + 2048] += log_pof(mean, var, t)[0]
        return out

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.atleast_2d(x)
        if self.base is None:
            val, grad = np.zeros(len(x)), np.zeros(x.shape)
        else:
            val, grad = self.base.value_and_grad(x)
        for gp, t in zip(self.gps, self.thresholds):
            mean, var, dmean, dvar = gp.predict_grad(x)
            v, dm, dv = log_pof(mean, var, t)
            val = val + v
            grad = grad + dm[:, None] * dmean + dv[:, None] * dvar
        return val, grad


def fit_constraint_gps(
    spec: KernelSpec, X: np.ndarray, C: np.ndarray, rng: np.random.Generator
) -> tuple[list[GaussianProcess], list[float]]:
    """One GP per column of ``C`` (rows with ``nan`` skipped), on standardised values; returns
    the GPs and each one's threshold (where the raw constraint is 0).

    Example:
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> X = np.linspace(0, 1, 8)[:, None]
        >>> gps, ts = fit_constraint_gps(spec, X, X - 0.5, np.random.default_rng(0))
        >>> float(np.exp(ConstrainedAcquisition(None, gps, ts)(np.array([[0.05]]))[0])) > 0.9
        True
    """
    gps: list[GaussianProcess] = []
    thresholds: list[float] = []
    for k in range(C.shape[1]):
        ok = np.isfinite(C[:, k])
        if ok.sum() < 2:
            continue
        c = C[ok, k]
        mu, sd = float(c.mean()), float(c.std())
        sd = sd if sd > 1e-12 else 1.0
        z = (c - mu) / sd
        res = fit(spec, X[ok], z, rng=rng, n_random_starts=1, noise_floor=NOISE_FLOOR,
                  maxiter=100)
        gps.append(GaussianProcess(spec, res.theta, res.noise, X[ok], z))
        thresholds.append(-mu / sd)
    return gps, thresholds
