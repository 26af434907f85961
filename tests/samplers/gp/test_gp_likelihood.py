"""Marginal likelihood, priors, fitting and the GP posterior."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from hyperscout.samplers.gp.kernels import KernelSpec, kernel_matrix
from hyperscout.samplers.gp.likelihood import (
    GaussianProcess,
    Priors,
    bounds,
    default_theta,
    fit,
    neg_log_marginal_likelihood,
    neg_log_posterior,
    neg_log_prior,
)

GROUPS = [0, 1, 1, 1, 2]
ONEHOT = [False, True, True, True, False]


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    X[:, 1:4] = 0.0
    X[np.arange(n), 1 + rng.integers(3, size=n)] = 1.0
    y = np.sin(5 * X[:, 0]) + X[:, 1] - X[:, 4] ** 2 + 0.05 * rng.normal(size=n)
    return X, (y - y.mean()) / y.std()


def test_marginal_likelihood_matches_multivariate_normal() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    X, y = _data(12)
    full = np.random.default_rng(1).normal(0, 0.4, spec.n_params + 1)
    full[-1] = math.log(0.01)
    val, _ = neg_log_marginal_likelihood(spec, full, X, y, 1e-6)
    cov = kernel_matrix(spec, full[:-1], X) + (1e-6 + 0.01) * np.eye(len(y))
    assert val == pytest.approx(-multivariate_normal(np.zeros(len(y)), cov).logpdf(y), rel=1e-10)


@pytest.mark.parametrize("warp", [False, True])
def test_marginal_likelihood_gradient_matches_finite_differences(warp: bool) -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=warp)
    X, y = _data(15, 2)
    full = np.random.default_rng(3).normal(0, 0.5, spec.n_params + 1)
    full[-1] = -3.0
    _, grad = neg_log_posterior(spec, full, X, y, 1e-6, Priors())
    eps = 1e-6
    for p in range(len(full)):
        e = np.zeros_like(full)
        e[p] = eps
        fd = (neg_log_posterior(spec, full + e, X, y, 1e-6, Priors())[0]
              - neg_log_posterior(spec, full - e, X, y, 1e-6, Priors())[0]) / (2 * eps)
        assert grad[p] == pytest.approx(fd, rel=1e-5, abs=1e-6), f"parameter {p}"


def test_prior_gradient_and_modes() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    pri = Priors()
    full = np.random.default_rng(5).normal(0, 1, spec.n_params + 1)
    _, grad = neg_log_prior(spec, full, 1e-6, pri)
    eps = 1e-6
    for p in range(len(full)):
        e = np.zeros_like(full)
        e[p] = eps
        fd = (neg_log_prior(spec, full + e, 1e-6, pri)[0]
              - neg_log_prior(spec, full - e, 1e-6, pri)[0]) / (2 * eps)
        assert grad[p] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    # the lengthscale prior's median grows with the number of parameters (sqrt(G))
    assert pri.ls_loc(9) - pri.ls_loc(1) == pytest.approx(0.5 * math.log(9))


def test_inverse_square_lengthscale_prior() -> None:
    # Priors(ls_rate=r): r (1/lam + lam), lam = l^-2; mode at l = 1, 40 nats at l = 0.05
    pri = Priors(ls_rate=0.1)
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    full = np.random.default_rng(6).normal(0, 1, spec.n_params + 1)
    _, grad = neg_log_prior(spec, full, 1e-6, pri)
    for p in range(len(full)):
        e = np.zeros_like(full)
        e[p] = 1e-6
        fd = (neg_log_prior(spec, full + e, 1e-6, pri)[0]
              - neg_log_prior(spec, full - e, 1e-6, pri)[0]) / 2e-6
        assert grad[p] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    one = KernelSpec.build(np.zeros(1, dtype=np.int64), np.zeros(1, dtype=bool), warping=False)

    def ls_cost(ls: float, priors: Priors = pri) -> tuple[float, float]:
        v, g = neg_log_prior(one, np.array([math.log(ls), 0.0, math.log(1e-3)]), 1e-6, priors)
        base, _ = neg_log_prior(one, np.array([0.0, 0.0, math.log(1e-3)]), 1e-6, priors)
        return v - base, g[0]

    assert ls_cost(1.0) == (0.0, 0.0)
    assert ls_cost(0.05)[0] == pytest.approx(0.1 * (400 + 1 / 400) - 0.2)
    assert ls_cost(0.05)[1] < 0 < ls_cost(20.0)[1]  # pushed back towards l = 1 from both sides
    # ten times the log-normal's cost at l = 0.05 (relative to l = 1): short lengthscales
    # need much stronger evidence
    assert ls_cost(0.05)[0] > 5 * ls_cost(0.05, Priors())[0] > 0


def test_fit_improves_on_the_start_and_respects_bounds() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    X, y = _data(30, 6)
    start = default_theta(spec)
    res = fit(spec, X, y, rng=np.random.default_rng(0), n_random_starts=1)
    v0, _ = neg_log_posterior(spec, start, X, y, 1e-6, Priors())
    assert res.objective < v0
    lo, hi = np.array(bounds(spec)).T
    assert np.all(res.full >= lo - 1e-12) and np.all(res.full <= hi + 1e-12)
    assert res.noise > 1e-6
    fixed = fit(spec, X, y, rng=np.random.default_rng(0), fixed_noise=True, noise_floor=1e-4)
    assert fixed.noise == pytest.approx(1e-4 + 1e-9, rel=1e-6)


def test_fit_learns_short_lengthscale_for_wiggly_dimension() -> None:
    rng = np.random.default_rng(7)
    X = rng.random((40, 2))
    y = np.sin(12 * X[:, 0]) + 0.1 * X[:, 1]
    y = (y - y.mean()) / y.std()
    spec = KernelSpec.build([0, 1], [False, False], warping=False)
    res = fit(spec, X, y, rng=np.random.default_rng(0))
    ls = np.exp(res.theta[:2])
    assert ls[0] < 0.5 < ls[1]


def test_noisy_data_learns_noise() -> None:
    rng = np.random.default_rng(8)
    X = rng.random((60, 1))
    y = np.sin(3 * X[:, 0]) + 0.5 * rng.normal(size=60)
    y = (y - y.mean()) / y.std()
    spec = KernelSpec.build([0], [False], warping=False)
    res = fit(spec, X, y, rng=np.random.default_rng(0))
    assert res.noise > 0.1  # a large share of the (unit) variance is noise


def test_posterior_interpolates_noise_free_data() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    X, y = _data(20, 9)
    theta = np.random.default_rng(10).normal(0, 0.3, spec.n_params)
    gp = GaussianProcess(spec, theta, 1e-8, X, y)
    mean, var = gp.predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-5)
    assert np.all(var < 1e-5)
    np.testing.assert_allclose(gp.train_mean(), mean, atol=1e-6)
    # far from the data the variance returns to the output scale
    x_far = np.array([[0.5, 0, 0, 0, 0.5]])
    gp_one = GaussianProcess(spec, theta, 1e-8, X[:1] * 0 + np.array([[0, 1, 0, 0, 0]]), y[:1])
    assert gp_one.predict(x_far)[1][0] > 0.2 * gp.sf2


def test_posterior_gradients_match_finite_differences() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    X, y = _data(25, 11)
    theta = np.random.default_rng(12).normal(0, 0.3, spec.n_params)
    gp = GaussianProcess(spec, theta, 1e-3, X, y)
    x, _ = _data(4, 13)
    mean, var, dmean, dvar = gp.predict_grad(x)
    m2, v2 = gp.predict(x)
    np.testing.assert_allclose(mean, m2, atol=1e-12)
    np.testing.assert_allclose(var, v2, atol=1e-12)
    eps = 1e-6
    for col in (0, 4):
        e = np.zeros(5)
        e[col] = eps
        (mp, vp), (mm, vm) = gp.predict(x + e), gp.predict(x - e)
        np.testing.assert_allclose(dmean[:, col], (mp - mm) / (2 * eps), atol=1e-6)
        np.testing.assert_allclose(dvar[:, col], (vp - vm) / (2 * eps), atol=1e-6)


def test_condition_equals_refit_with_all_data() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=False)
    X, y = _data(16, 14)
    theta = np.zeros(spec.n_params)
    gp = GaussianProcess(spec, theta, 1e-4, X[:10], y[:10]).condition(X[10:], y[10:])
    ref = GaussianProcess(spec, theta, 1e-4, X, y)
    x, _ = _data(5, 15)
    for a, b in zip(gp.predict(x), ref.predict(x)):
        np.testing.assert_allclose(a, b, atol=1e-10)
    np.testing.assert_allclose(gp.lengthscales, np.ones(5))


def test_condition_with_its_own_noise_matches_direct_heteroscedastic_posterior() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=False)
    X, y = _data(16, 16)
    theta = np.zeros(spec.n_params)
    noisy = GaussianProcess(spec, theta, 0.1, X[:12], y[:12])
    gp = noisy.condition(X[12:], y[12:], noise=1e-6)
    x, _ = _data(5, 17)
    # independent computation: K + diag(per-row noise), solved directly
    row_noise = np.array([0.1] * 12 + [1e-6] * 4)
    K = kernel_matrix(spec, theta, X) + np.diag(row_noise)
    k = kernel_matrix(spec, theta, x, X)
    mean = k @ np.linalg.solve(K, y)
    var = 1.0 - np.einsum("ij,ji->i", k, np.linalg.solve(K, k.T))
    got_mean, got_var = gp.predict(x)
    np.testing.assert_allclose(got_mean, mean, atol=1e-8)
    np.testing.assert_allclose(got_var, var, atol=1e-8)
    np.testing.assert_allclose(gp.train_mean(), y - row_noise * np.linalg.solve(K, y), atol=1e-8)
    # the point of it: the variance collapses at a conditioned row whatever the fitted noise,
    # while conditioning with the fitted noise leaves it near that noise
    assert gp.predict(X[12:])[1].max() < 1e-5
    assert noisy.condition(X[12:], y[12:]).predict(X[12:])[1].min() > 0.02
    assert gp.noise == pytest.approx(0.1)  # the fitted noise is unchanged
