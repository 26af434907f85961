"""GP regression: log marginal likelihood with analytic gradients, priors, fitting, posterior.

The full hyperparameter vector is ``[kernel theta (see kernels.KernelSpec), t]`` with the
noise variance ``noise = noise_floor + exp(t)``: a learned noise term that can never fall under
the floor (which doubles as the Cholesky jitter).

Priors (all on the targets after :mod:`~hyperscout.samplers.gp.transforms`, i.e. standardised):

- lengthscales: ``log l ~ Normal(sqrt(2) + log(G)/2, sqrt(3))`` per group (the
  dimension-scaled log-normal of Hvarfner et al., 2024, "Vanilla Bayesian optimization performs
  great in high dimensions"), ``G`` = number of parameters; or, with ``Priors(ls_rate=r)``,
  ``-log p(l) = r (1/lam + lam)`` with ``lam = 1 / l^2`` (the prior of Optuna's GPSampler,
  ``r = 0.1`` in ``GPSampler(lengthscale_prior="inverse-square")``): mode ``l = 1`` and about
  40 nats at ``l = 0.05`` (the log-normal: about 4), so a step-like objective (a
  cross-validated score of trees: plateaus and jumps) is modelled as a smooth trend plus noise
  rather than as white noise with lengthscales of a few hundredths (``benchmarks/RESULTS.md``,
  issue 3). The fit's random starts draw ``log l`` from the log-normal either way;
- output scale: ``sf2 ~ Gamma(2, 1)`` (mode 1, for unit-variance targets);
- noise: ``noise ~ Gamma(1.1, 30)`` (mean 0.037: small noise unless the data insist);
- warping shapes: ``log a, log b ~ Normal(0, 0.75)`` (centred on the identity warp).

Gradients of the objective are exact (``-log p(y | theta) - log prior``):
``d/dtheta = -1/2 tr((alpha alpha^T - K^-1) dK/dtheta)``, contracted without materialising
``dK/dtheta`` (every term reduces to products with the ``(n, d)`` feature matrix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

from hyperscout.samplers.gp.kernels import (
    KernelSpec,
    cross_kernel_grad_x,
    features,
    kernel_matrix,
    matern52,
    sq_dist,
)

NOISE_FLOOR = 1e-6
"""Smallest noise variance (targets are standardised, so this is relative)."""

BELIEVED_NOISE = 1e-6
"""Noise variance, relative to the signal variance, of a Kriging believer's pseudo-observations
(:meth:`GaussianProcess.believe`): values of the latent function, not noisy observations."""

_LOG2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Priors:
    """Hyperparameter priors; see the module docstring. Immutable; pass one to ``fit``.

    Example:
        >>> Priors().noise_rate
        30.0
    """

    ls_loc_offset: float = math.sqrt(2.0)
    ls_scale: float = math.sqrt(3.0)
    ls_rate: float | None = None  # None: the log-normal; a rate: Optuna's rate (1/lam + lam)
    sf2_shape: float = 2.0
    sf2_rate: float = 1.0
    noise_shape: float = 1.1
    noise_rate: float = 30.0
    warp_scale: float = math.sqrt(0.75)

    def ls_loc(self, n_groups: int) -> float:
        return self.ls_loc_offset + 0.5 * math.log(max(n_groups, 1))


def bounds(spec: KernelSpec) -> list[tuple[float, float]]:
    """Box bounds of the full hyperparameter vector (kernel theta then ``t``)."""
    G, W = spec.n_groups, spec.n_warped
    out = [(math.log(1e-2), math.log(1e2))] * G
    out += [(math.log(1e-2), math.log(1e2))]
    out += [(math.log(0.1), math.log(10.0))] * (2 * W)
    out += [(math.log(1e-9), math.log(2.0))]
    return out


def default_theta(spec: KernelSpec) -> np.ndarray:
    """A neutral start: lengthscales 1 (half the prior median or less), sf2 1, no warp, noise
    about 1e-3."""
    return np.concatenate([np.zeros(spec.n_groups), [0.0], np.zeros(2 * spec.n_warped),
                           [math.log(1e-3)]])


def neg_log_prior(spec: KernelSpec, full: np.ndarray, noise_floor: float,
                  priors: Priors) -> tuple[float, np.ndarray]:
    """Negative log prior density (up to a constant) of the full vector, and its gradient."""
    G, W = spec.n_groups, spec.n_warped
    grad = np.zeros_like(full)
    if priors.ls_rate is None:
        log_ls = full[:G]
        loc, sc = priors.ls_loc(G), priors.ls_scale
        z = (log_ls - loc) / sc
        val = 0.5 * float(z @ z)
        grad[:G] = z / sc
    else:
        lam = np.exp(-2.0 * full[:G])  # inverse squared lengthscales
        rate = priors.ls_rate
        val = float(np.sum(rate / lam + rate * lam))
        grad[:G] = rate * 2.0 / lam - rate * 2.0 * lam
    t_sf = full[G]
    sf2 = math.exp(t_sf)
    # Gamma densities are evaluated at the value (no Jacobian of the log parametrisation), so
    # the prior modes stay where the docstring says (sf2 = 1)
    val += -(priors.sf2_shape - 1.0) * t_sf + priors.sf2_rate * sf2
    grad[G] = -(priors.sf2_shape - 1.0) + priors.sf2_rate * sf2
    warp = full[G + 1: G + 1 + 2 * W]
    val += 0.5 * float(warp @ warp) / priors.warp_scale**2
    grad[G + 1: G + 1 + 2 * W] = warp / priors.warp_scale**2
    et = math.exp(full[-1])
    v = noise_floor + et
    val += -(priors.noise_shape - 1.0) * math.log(v) + priors.noise_rate * v
    grad[-1] = (-(priors.noise_shape - 1.0) / v + priors.noise_rate) * et
    return val, grad


def neg_log_marginal_likelihood(
    spec: KernelSpec, full: np.ndarray, X: np.ndarray, y: np.ndarray, noise_floor: float
) -> tuple[float, np.ndarray]:
    """``-log p(y | X, theta)`` of a zero-mean GP and its exact gradient w.r.t. ``full``.

    Raises:
        numpy.linalg.LinAlgError (scipy's): when the covariance is not positive definite.

    Example:
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> X, y = np.array([[0.1], [0.5], [0.9]]), np.array([1.0, -1.0, 0.5])
        >>> val, grad = neg_log_marginal_likelihood(spec, np.array([0.0, 0.0, -5.0]), X, y, 1e-6)
        >>> bool(np.isfinite(val)) and grad.shape == (3,)
        True
    """
    theta = full[:-1]
    G, W = spec.n_groups, spec.n_warped
    log_ls, log_sf2, _, _ = spec.unpack(theta)
    sf2 = math.exp(log_sf2)
    et = math.exp(full[-1])
    noise = noise_floor + et
    n = len(y)
    scale = spec.column_scale(log_ls)
    F = features(spec, theta, X)
    r2 = sq_dist(F.phi, F.phi, scale)
    np.fill_diagonal(r2, 0.0)
    m, dm = matern52(r2)
    K = sf2 * m
    Ky = K.copy()
    Ky[np.diag_indices(n)] += noise
    L = cholesky(Ky, lower=True, check_finite=False)
    alpha = cho_solve((L, True), y, check_finite=False)
    Kinv = cho_solve((L, True), np.eye(n), check_finite=False)
    val = 0.5 * float(y @ alpha) + float(np.log(np.diag(L)).sum()) + 0.5 * n * _LOG2PI
    Wm = np.outer(alpha, alpha) - Kinv  # d(log p)/dK = Wm / 2
    grad = np.zeros_like(full)
    M = -0.5 * Wm * (sf2 * dm)  # dnll/dr2
    rs = M.sum(1)
    Fp = F.phi
    MF = M @ Fp
    # S_c = sum_ij M_ij (phi_ic - phi_jc)^2
    S = 2.0 * (rs @ (Fp * Fp) - (Fp * MF).sum(0))
    col_grad = -2.0 * scale * S  # dnll/dlog l for each column's share
    grad[:G] = np.bincount(spec.groups, weights=col_grad, minlength=G)
    grad[G] = -0.5 * float((Wm * K).sum())
    if W:
        wc = np.flatnonzero(spec.warp)
        Fw, MFw = Fp[:, wc], MF[:, wc]
        for block, E in ((G + 1, F.d_loga), (G + 1 + W, F.d_logb)):
            # sum_ij M_ij (phi_i - phi_j)(e_i - e_j) = 2 (sum_i rs_i phi_i e_i - e^T M phi)
            T = 2.0 * (rs @ (Fw * E) - (E * MFw).sum(0))
            grad[block: block + W] = 2.0 * scale[wc] * T
    grad[-1] = -0.5 * float(np.trace(Wm)) * et
    return val, grad


def neg_log_posterior(
    spec: KernelSpec, full: np.ndarray, X: np.ndarray, y: np.ndarray, noise_floor: float,
    priors: Priors,
) -> tuple[float, np.ndarray]:
    """The fitting objective: negative log marginal likelihood plus negative log prior."""
    v1, g1 = neg_log_marginal_likelihood(spec, full, X, y, noise_floor)
    v2, g2 = neg_log_prior(spec, full, noise_floor, priors)
    return v1 + v2, g1 + g2


def sample_prior(spec: KernelSpec, rng: np.random.Generator, priors: Priors) -> np.ndarray:
    """A random start for the fit: lengthscales and warps from their priors, the rest neutral."""
    G, W = spec.n_groups, spec.n_warped
    full = default_theta(spec)
    full[:G] = rng.normal(priors.ls_loc(G), priors.ls_scale, G)
    full[G + 1: G + 1 + 2 * W] = rng.normal(0.0, priors.warp_scale, 2 * W)
    lo, hi = np.array(bounds(spec)).T
    return np.clip(full, lo, hi)


@dataclass(frozen=True)
class FitResult:
    """Fitted hyperparameters: ``theta`` (kernel), ``noise`` (variance) and the full vector."""

    full: np.ndarray
    theta: np.ndarray
    noise: float
    objective: float


def fit(
    spec: KernelSpec,
    X: np.ndarray,
    y: np.ndarray,
    *,
    rng: np.random.Generator,
    starts: list[np.ndarray] | None = None,
    n_random_starts: int = 2,
    noise_floor: float = NOISE_FLOOR,
    fixed_noise: bool = False,
    priors: Priors | None = None,
    maxiter: int = 200,
) -> FitResult:
    """Maximise the marginal likelihood times the prior with L-BFGS-B from several starts.

    Args:
        starts: Start vectors (e.g. the previous optimum, a warm start); the neutral
            :func:`default_theta` is used when none are given.
        n_random_starts: Extra starts drawn from the priors with ``rng``.
        fixed_noise: Keep the noise at ``noise_floor`` (deterministic objectives).
        maxiter: L-BFGS-B iterations per start.

    Returns:
        The best result over the starts (the neutral start if every start fails).

    Example:
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> X = np.linspace(0, 1, 8)[:, None]
        >>> res = fit(spec, X, np.sin(6 * X[:, 0]), rng=np.random.default_rng(0))
        >>> 0.05 < float(np.exp(res.theta[0])) < 2.0
        True
    """
    priors = priors or Priors()
    bnds = bounds(spec)
    lo, hi = np.array(bnds).T
    if fixed_noise:
        lo[-1] = hi[-1] = bnds[-1][0]
        bnds = list(zip(lo, hi))
    x0s = [np.clip(np.asarray(s, dtype=float), lo, hi) for s in (starts or [default_theta(spec)])]
    x0s += [sample_prior(spec, rng, priors) for _ in range(n_random_starts)]

    def objective(full: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            val, grad = neg_log_posterior(spec, full, X, y, noise_floor, priors)
        except (LinAlgError, np.linalg.LinAlgError, ValueError):
            return 1e25, np.zeros_like(full)
        if not np.isfinite(val) or not np.all(np.isfinite(grad)):
            return 1e25, np.zeros_like(full)
        if fixed_noise:
            grad[-1] = 0.0
        return val, grad

    best: tuple[float, np.ndarray] | None = None
    for x0 in x0s:
        if fixed_noise:
            x0[-1] = lo[-1]
        res = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bnds,
                       options={"maxiter": maxiter, "gtol": 1e-3, "ftol": 1e-6})
        if res.fun < 1e25 and (best is None or res.fun < best[0]):
            best = (float(res.fun), np.asarray(res.x))
    if best is None:
        full = np.clip(default_theta(spec), lo, hi)
        best = (float("inf"), full)
    full = best[1]
    return FitResult(full, full[:-1].copy(), noise_floor + math.exp(full[-1]), best[0])


class GaussianProcess:
    """A GP posterior for fixed hyperparameters: mean/variance and their input gradients.

    Args:
        spec: Column layout.
        theta: Kernel hyperparameters.
        noise: Noise variance added to the diagonal.
        X: Training inputs ``(n, d)``.
        y: Training targets ``(n,)``.
        row_noise: Per-row noise variances ``(n,)`` instead of ``noise`` on every row (used by
            :meth:`condition` for pseudo-observations of the latent function).

    Example:
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> X = np.array([[0.0], [0.5], [1.0]])
        >>> gp = GaussianProcess(spec, np.array([-1.0, 0.0]), 1e-8, X, np.array([1.0, 0.0, 2.0]))
        >>> mean, var = gp.predict(X)
        >>> mean.round(4).tolist()
        [1.0, 0.0, 2.0]
    """

    def __init__(self, spec: KernelSpec, theta: np.ndarray, noise: float, X: np.ndarray,
                 y: np.ndarray, *, row_noise: np.ndarray | None = None) -> None:
        self.spec = spec
        self.theta = np.asarray(theta, dtype=float)
        self.noise = float(noise)
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.sf2 = math.exp(spec.unpack(self.theta)[1])
        K = kernel_matrix(spec, self.theta, self.X)
        n = len(self.y)
        diag = (np.full(n, self.noise) if row_noise is None
                else np.asarray(row_noise, dtype=float).reshape(n))
        jitter = 0.0
        for _ in range(6):
            try:
                Ky = K.copy()
                Ky[np.diag_indices(n)] += diag + jitter
                self._L = cholesky(Ky, lower=True, check_finite=False)
                break
            except (LinAlgError, np.linalg.LinAlgError):
                jitter = max(10 * jitter, 1e-8 * self.sf2)
        else:  # pragma: no cover - 6 failures need a non-finite kernel
            raise np.linalg.LinAlgError("GP covariance is not positive definite, even with jitter")
        self.noise += jitter
        self.row_noise = diag + jitter
        self.alpha = cho_solve((self._L, True), self.y, check_finite=False)
        self._F = features(spec, self.theta, self.X).phi
        self._alpha_F = self.alpha[:, None] * self._F

    def train_mean(self) -> np.ndarray:
        """Posterior mean at the training inputs, ``y - row_noise * alpha`` (no kernel calls)."""
        return self.y - self.row_noise * self.alpha

    def condition(self, X_new: np.ndarray, y_new: np.ndarray,
                  noise: float | None = None) -> GaussianProcess:
        """The same hyperparameters with extra observations (e.g. fantasies).

        ``noise`` is the new rows' noise variance: by default the fitted one (noisy
        observations); a value near 0 makes them values of the latent function itself, so the
        posterior variance there collapses whatever the fitted noise (a Kriging believer's
        pseudo-observations; with the fitted noise, a noisy GP stays almost as uncertain at a
        believed point as before, and the next suggestion lands beside it).
        """
        new = np.full(len(y_new), self.noise if noise is None else float(noise))
        return GaussianProcess(self.spec, self.theta, self.noise,
                               np.vstack([self.X, X_new]), np.concatenate([self.y, y_new]),
                               row_noise=np.concatenate([self.row_noise, new]))

    def believe(self, X_new: np.ndarray) -> tuple[GaussianProcess, np.ndarray]:
        """Kriging believer for points being evaluated elsewhere (parallel workers): the GP
        conditioned on its own posterior mean at ``X_new`` as values of the latent function
        (noise ``BELIEVED_NOISE`` of the signal variance), and those believed values.

        The mean is unchanged everywhere; the variance collapses at ``X_new`` and shrinks
        around it, so an acquisition that also counts the believed values as observed stops
        proposing the same point twice.

        Example:
            >>> spec = KernelSpec.build([0], [False], warping=False)
            >>> gp = GaussianProcess(spec, np.array([-1.0, 0.0]), 0.1, np.array([[0.0], [1.0]]),
            ...                      np.array([1.0, 0.0]))
            >>> x = np.array([[0.5]])
            >>> fantasy, believed = gp.believe(x)
            >>> bool(fantasy.predict(x)[1][0] < 1e-5 < gp.predict(x)[1][0])
            True
            >>> bool(np.allclose(fantasy.predict(x)[0], believed))  # the mean is unchanged
            True
        """
        X_new = np.atleast_2d(X_new)
        believed = self.predict(X_new)[0]
        return self.condition(X_new, believed, noise=BELIEVED_NOISE * self.sf2), believed

    def predict_joint(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean ``(m,)`` and full covariance ``(m, m)`` of the latent function at
        rows ``x`` (the joint distribution that draws of several points need).

        Example:
            >>> spec = KernelSpec.build([0], [False], warping=False)
            >>> gp = GaussianProcess(spec, np.array([-1.0, 0.0]), 1e-2, np.array([[0.0]]),
            ...                      np.array([1.0]))
            >>> x = np.array([[0.2], [0.9]])
            >>> mean, cov = gp.predict_joint(x)
            >>> bool(np.allclose(np.diag(cov), gp.predict(x)[1]))
            True
        """
        x = np.atleast_2d(x)
        k = kernel_matrix(self.spec, self.theta, x, self.X)
        V = solve_triangular(self._L, k.T, lower=True, check_finite=False)
        cov = kernel_matrix(self.spec, self.theta, x) - V.T @ V
        return k @ self.alpha, 0.5 * (cov + cov.T)

    def solve(self, Y: np.ndarray) -> np.ndarray:
        """``K_y^-1 Y`` for targets ``Y`` of shape ``(n,)`` or ``(n, s)``: the weights whose
        cross-kernel products are the posterior means of other targets at the same inputs."""
        return cho_solve((self._L, True), np.asarray(Y, dtype=float), check_finite=False)

    def cross_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:func:`~hyperscout.samplers.gp.kernels.cross_kernel_grad_x` against this GP's
        training rows: ``(k, dk/dr2, phi(x), c)``; the gradient of ``k(x) @ w`` for weights
        ``w`` (``(n,)``) is ``c * (phi(x) * (dk @ w)[:, None] - dk @ (w[:, None] * F))`` with
        ``F`` = :attr:`train_features`."""
        return cross_kernel_grad_x(self.spec, self.theta, np.atleast_2d(x), self._F)

    @property
    def train_features(self) -> np.ndarray:
        """The (warped) training inputs ``(n, d)`` that :meth:`cross_grad`'s formula uses."""
        return self._F

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at rows ``x`` (``(m, d)``)."""
        k = kernel_matrix(self.spec, self.theta, np.atleast_2d(x), self.X)
        mean = k @ self.alpha
        # sf2 - |L^-1 k|^2 by a triangular solve: an explicit K^-1 loses the small variances
        # near the data to cancellation (their gradients then mislead the line search)
        V = solve_triangular(self._L, k.T, lower=True, check_finite=False)
        var = self.sf2 - (V * V).sum(0)
        return mean, np.maximum(var, 1e-12 * self.sf2)

    def predict_grad(
        self, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients w.r.t. ``x`` (shapes ``(m,)``, ``(m,)``, ``(m, d)``,
        ``(m, d)``). Gradients of one-hot columns are not meaningful (they move by swaps)."""
        x = np.atleast_2d(x)
        k, dk, phix, c = cross_kernel_grad_x(self.spec, self.theta, x, self._F)
        mean = k @ self.alpha
        V = solve_triangular(self._L, k.T, lower=True, check_finite=False)
        var = self.sf2 - (V * V).sum(0)
        v = solve_triangular(self._L, V, lower=True, trans="T", check_finite=False).T  # K^-1 k
        dmean = c * (phix * (dk @ self.alpha)[:, None] - dk @ self._alpha_F)
        dv = dk * v
        dvar = -2.0 * c * (phix * dv.sum(1)[:, None] - dv @ self._F)
        floor = 1e-12 * self.sf2
        small = var < floor
        if small.any():
            var = np.maximum(var, floor)
            dvar[small] = 0.0
        return mean, var, dmean, dvar

    @property
    def lengthscales(self) -> np.ndarray:
        """Per column: the lengthscale of its group (useful to scale local searches)."""
        return np.exp(self.spec.unpack(self.theta)[0])[self.spec.groups]
