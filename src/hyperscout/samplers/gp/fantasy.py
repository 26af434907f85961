"""Expected improvement of one more point while other points are still being evaluated.

With ``p`` points running on other workers, a new point ``x`` improves on the incumbent only
where it beats both the incumbent and what the running points will return. The batch (q-EI)
improvement ``max(best - min(f(X_p), f(x)), 0)`` splits into what the running points bring on
their own (not a function of ``x``) plus ``max(b - f(x), 0)`` with ``b = min(best, min f(X_p))``.
So, over ``S`` fixed draws ``f_s`` of the running points' latent values from the joint posterior,

    ``qEI(x) = const + 1/S sum_s EI(mu_s(x), var_p(x), b_s)``,

where ``f(x) | f_s`` is Gaussian: the GP conditioned on ``(X_p, f_s)`` as values of the latent
function. Its variance ``var_p`` is the same for every draw (it does not depend on the values),
and its mean is the Kriging believer's mean plus a term linear in ``f_s - mean(X_p)``. The inner
expectation is closed-form EI, so only the running points are sampled (``S`` quasi-random
normal draws, fixed for one suggestion: the acquisition is deterministic and smooth in ``x``).

Against a Kriging believer (the running points' posterior mean as an observation), the draws
keep the possibility that a running point turns out good, which lowers the value of a second
point beside it, and that it turns out bad, which keeps the region open; and the variance at a
running point collapses whatever noise the GP fitted, so parallel asks do not pile up on noisy
objectives. This is the sequential-greedy q-EI of Wilson et al. (2018, "Maximizing acquisition
functions for Bayesian optimization"), with the last point's expectation done exactly.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp, ndtri

from hyperscout.samplers.gp.acquisition import Acquisition, log_ei
from hyperscout.samplers.gp.kernels import kernel_matrix
from hyperscout.samplers.gp.likelihood import GaussianProcess
from hyperscout.samplers.gp.optimize import sobol

N_FANTASIES = 128
"""Draws of the running points' values per suggestion (Optuna's and BoTorch's q-EI use 128)."""


def fantasy_draws(gp: GaussianProcess, X_pending: np.ndarray, n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``n`` quasi-random joint draws ``(n, p)`` of the latent function at the ``p`` rows of
    ``X_pending`` from ``gp``'s posterior (scrambled Sobol points mapped to normals; an
    eigen-decomposition of the covariance, so coinciding rows are fine).

    Example:
        >>> from hyperscout.samplers.gp.kernels import KernelSpec
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> gp = GaussianProcess(spec, np.array([-1.0, 0.0]), 1e-2, np.array([[0.0]]),
        ...                      np.array([1.0]))
        >>> F = fantasy_draws(gp, np.array([[0.0], [2.0]]), 256, np.random.default_rng(0))
        >>> F.shape, bool(F[:, 0].std() < F[:, 1].std())  # near the data: less spread
        ((256, 2), True)
    """
    Xp = np.atleast_2d(X_pending)
    mean, cov = gp.predict_joint(Xp)
    lam, Q = np.linalg.eigh(cov)
    root = Q * np.sqrt(np.maximum(lam, 0.0))  # root @ root.T == cov (PSD part)
    U = sobol(len(Xp), n, rng)
    Z = ndtri(np.clip(U, 1e-9, 1.0 - 1e-9))
    draws: np.ndarray = mean + Z @ root.T
    return draws


class FantasyEI(Acquisition):
    """log q-EI of a new point given running points (see the module docstring), with input
    gradients; an :class:`~hyperscout.samplers.gp.acquisition.Acquisition` whose GP is the one
    conditioned on the running points.

    Args:
        gp: The GP fitted on the complete trials.
        X_pending: Encoded rows ``(p, d)`` of the points being evaluated elsewhere.
        best: Incumbent on the GP's target scale (smaller is better), without the running
            points.
        rng: Seeds the quasi-random draws.
        n_fantasies: Draws of the running points' values.
        var_offset: Subtracted from the posterior variance before EI sees it (see
            :class:`~hyperscout.samplers.gp.acquisition.Acquisition`).
        var_floor: Smallest variance passed on.

    Example:
        >>> from hyperscout.samplers.gp.kernels import KernelSpec
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> X = np.array([[0.0], [0.5], [1.0]])
        >>> gp = GaussianProcess(spec, np.array([-1.5, 0.0]), 1e-2, X, np.array([1.0, 0.0, 1.0]))
        >>> acq = FantasyEI(gp, np.array([[0.4]]), best=0.0, rng=np.random.default_rng(0))
        >>> v = acq(np.array([[0.4], [0.7]]))
        >>> bool(v[0] < v[1])  # the running point itself is worth little more
        True
    """

    def __init__(self, gp: GaussianProcess, X_pending: np.ndarray, best: float,
                 rng: np.random.Generator, n_fantasies: int = N_FANTASIES,
                 var_offset: float = 0.0, var_floor: float = 1e-12) -> None:
        if n_fantasies < 1:
            raise ValueError(f"FantasyEI(n_fantasies={n_fantasies}): give at least 1 draw")
        Xp = np.atleast_2d(np.asarray(X_pending, dtype=float))
        draws = fantasy_draws(gp, Xp, n_fantasies, rng)
        # mean: the Kriging believer's; variance: given the running points' values
        conditioned, believed = gp.believe(Xp)
        super().__init__(conditioned, "log_ei", best, var_offset=var_offset,
                         var_floor=var_floor)
        delta = np.zeros((len(conditioned.y), n_fantasies))
        delta[len(gp.y):] = (draws - believed).T
        # the mean under draw s is gp.mean(x) + k(x) @ weights[:, s]
        self.weights = conditioned.solve(delta)
        self.draw_best = np.minimum(float(best), draws.min(axis=1))  # per draw (S,)
        self._log_n = math.log(n_fantasies)

    def _values(self, x: np.ndarray) -> np.ndarray:
        gp = self.gp
        mean, var = gp.predict(x)
        shift = kernel_matrix(gp.spec, gp.theta, x, gp.X) @ self.weights
        val = log_ei(mean[:, None] + shift, self._adjust(var)[0][:, None],
                     self.draw_best[None, :])[0]
        out: np.ndarray = logsumexp(val, axis=1) - self._log_n
        return out

    def value_and_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(m,)`` and gradients ``(m, d)`` at rows ``x``."""
        x = np.atleast_2d(x)
        gp = self.gp
        mean, var, dmean, dvar = gp.predict_grad(x)
        k, dk, phix, c = gp.cross_grad(x)
        A = self.weights
        var, low = self._adjust(var)
        val, dm, dv = log_ei(mean[:, None] + k @ A, var[:, None], self.draw_best[None, :])
        total = logsumexp(val, axis=1)
        w = np.exp(val - total[:, None])  # each draw's share of the mean EI
        G = w * dm
        gv = np.where(low, 0.0, (w * dv).sum(axis=1))
        grad = G.sum(axis=1)[:, None] * dmean + gv[:, None] * dvar
        # the draws' mean shifts k(x) @ A[:, s], weighted by G[:, s]
        grad += c * (phix * (G * (dk @ A)).sum(axis=1)[:, None]
                     - (dk * (G @ A.T)) @ gp.train_features)
        return total - self._log_n, grad
