"""Acquisition functions: against direct formulas, stable where EI underflows, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from hyperscout.samplers.gp.acquisition import (
    Acquisition,
    dlog_h,
    ei,
    log_ei,
    log_h,
    log_pi,
    mean_variance_front,
    ucb,
)
from hyperscout.samplers.gp.kernels import KernelSpec
from hyperscout.samplers.gp.likelihood import GaussianProcess


def test_log_h_matches_direct_formula_in_safe_range() -> None:
    u = np.linspace(-8.0, 6.0, 141)
    direct = np.log(norm.pdf(u) + u * norm.cdf(u))
    np.testing.assert_allclose(log_h(u), direct, rtol=1e-9, atol=1e-12)


def test_log_h_branches_join_smoothly() -> None:
    for edge in (-1.0, -100.0):
        u = edge + np.array([-1e-9, 0.0, 1e-9])
        v = log_h(u)
        assert np.all(np.diff(v) > 0)
        assert abs(v[2] - v[0]) < 1e-6


def test_log_ei_matches_log_of_direct_ei() -> None:
    rng = np.random.default_rng(0)
    mean = rng.normal(0, 1, 200)
    var = rng.uniform(0.01, 2.0, 200)
    best = -0.5
    direct = ei(mean, var, best)
    ok = direct > 1e-12  # the safe range: no cancellation in the direct formula
    sd = np.sqrt(var)
    u = (best - mean) / sd
    textbook = sd * (u * norm.cdf(u) + norm.pdf(u))
    np.testing.assert_allclose(direct[ok], textbook[ok], rtol=1e-9)
    np.testing.assert_allclose(log_ei(mean, var, best)[0][ok], np.log(direct[ok]), rtol=1e-9)


def test_log_ei_is_finite_and_monotone_where_ei_underflows() -> None:
    var = np.ones(6)
    mean = np.array([40.0, 45.0, 60.0, 200.0, 1e4, 1e7])  # u = -40 ... -1e7
    assert np.all(ei(mean, var, 0.0) == 0.0)  # plain EI underflows to exactly 0
    v, dm, dv = log_ei(mean, var, 0.0)
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(dm)) and np.all(np.isfinite(dv))
    assert np.all(np.diff(v) < 0)  # worse mean, lower log-EI
    assert np.all(dm < 0)
    # asymptotic series: h(u) = phi(u)/u^2 (1 - 3/u^2 + 15/u^4 - 105/u^6 + ...)
    u = -40.0
    series = math.log1p(-3 / u**2 + 15 / u**4 - 105 / u**6)
    assert v[0] == pytest.approx(-u * u / 2 - 0.5 * math.log(2 * math.pi) - 2 * math.log(40.0)
                                 + series, rel=1e-12)


def test_log_h_derivative_matches_finite_differences() -> None:
    u = np.array([-300.0, -60.0, -40.0, -5.0, -1.0, 0.0, 2.0])
    eps = 1e-6 * np.maximum(1.0, np.abs(u))
    fd = (log_h(u + eps) - log_h(u - eps)) / (2 * eps)
    np.testing.assert_allclose(dlog_h(u, log_h(u)), fd, rtol=1e-5)


@pytest.mark.parametrize("func", [log_ei, log_pi, ucb])
def test_acquisition_derivatives_match_finite_differences(func) -> None:  # noqa: ANN001
    mean = np.array([-1.0, 0.3, 2.0, 12.0])
    var = np.array([0.5, 0.2, 1.5, 0.3])
    v, dm, dv = func(mean, var, 0.1)
    eps = 1e-6
    np.testing.assert_allclose(
        dm, (func(mean + eps, var, 0.1)[0] - func(mean - eps, var, 0.1)[0]) / (2 * eps),
        rtol=1e-5)
    np.testing.assert_allclose(
        dv, (func(mean, var + eps, 0.1)[0] - func(mean, var - eps, 0.1)[0]) / (2 * eps),
        rtol=1e-5)


def test_log_pi_and_ucb_values() -> None:
    mean, var = np.array([0.0, 1.0, -30.0]), np.array([1.0, 4.0, 1.0])
    np.testing.assert_allclose(log_pi(mean, var, 0.0)[0][:2],
                               np.log(norm.cdf((0.0 - mean[:2]) / np.sqrt(var[:2]))))
    assert np.isfinite(log_pi(np.array([60.0]), np.array([1.0]), 0.0)[0]).all()
    np.testing.assert_allclose(ucb(mean, var, 0.0, beta=3.0)[0], 3.0 * np.sqrt(var) - mean)


def test_bound_acquisition_gradients_and_errors() -> None:
    rng = np.random.default_rng(1)
    spec = KernelSpec.build([0, 1], [False, False], warping=True)
    X = rng.random((15, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1]
    theta = np.array([-1.0, -0.5, 0.0, 0.2, -0.1, 0.3, 0.1])
    gp = GaussianProcess(spec, theta, 1e-4, X, (y - y.mean()) / y.std())
    x = rng.uniform(0.1, 0.9, (5, 2))
    for kind in ("log_ei", "log_pi", "ucb"):
        acq = Acquisition(gp, kind, best=-1.2)
        v, g = acq.value_and_grad(x)
        np.testing.assert_allclose(v, acq(x), atol=1e-12)
        eps = 1e-6
        for c in range(2):
            e = np.zeros(2)
            e[c] = eps
            fd = (acq(x + e) - acq(x - e)) / (2 * eps)
            np.testing.assert_allclose(g[:, c], fd, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="acquisition='ei' is not known"):
        Acquisition(gp, "ei", best=0.0)


def test_variance_offset_removes_the_noise_floor_of_ei_at_observed_points() -> None:
    spec = KernelSpec.build([0], [False], warping=False)
    X = np.array([[0.2], [0.5], [0.8]])
    gp = GaussianProcess(spec, np.array([-1.0, 0.0]), 1e-6, X, np.array([0.0, -1.0, 0.5]))
    plain = Acquisition(gp, "log_ei", best=-1.0)
    offset = Acquisition(gp, "log_ei", best=-1.0, var_offset=1e-6)
    at_best, away = np.array([[0.5]]), np.array([[0.05]])
    # without the offset, re-evaluating the incumbent looks better than exploring far away
    assert plain(at_best)[0] > plain(away)[0]
    assert offset(at_best)[0] < offset(away)[0] - 10
    v, g = offset.value_and_grad(np.array([[0.35], [0.65]]))
    eps = 1e-6
    fd = (offset(np.array([[0.35], [0.65]]) + eps) - offset(np.array([[0.35], [0.65]]) - eps)) / (
        2 * eps)
    np.testing.assert_allclose(g[:, 0], fd, rtol=1e-4)


def test_mean_variance_front_is_the_non_dominated_set() -> None:
    rng = np.random.default_rng(0)
    mean, var = rng.normal(size=200), rng.random(200)
    front = mean_variance_front(mean, var)
    brute = [i for i in range(200)
             if not np.any((mean <= mean[i]) & (var >= var[i])
                           & ((mean < mean[i]) | (var > var[i])))]
    assert sorted(front.tolist()) == brute
    assert np.all(np.diff(mean[front]) >= 0) and np.all(np.diff(var[front]) > 0)
    assert front[0] == int(np.argmin(mean))  # the greedy point is always on it
