"""The Parzen-estimator math: cells, kernels, bandwidth rules, normalisation and sampling."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import log_ndtr

from hyperscout.samplers.tpe.parzen import (
    Column,
    categorical_kernel,
    fit_parzen,
    log_gauss_mass,
    neighbor_bandwidths,
    scott_bandwidth,
)
from hyperscout.space import Categorical, Float, Int
from hyperscout.space.codec import SpaceCodec

XS = np.linspace(0.0, 1.0, 20001)


def _integrate_1d(pe) -> float:
    return float(np.trapezoid(np.exp(pe.log_pdf(XS[:, None])), XS))


# -- columns agree with the codec ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("dist", "column"),
    [
        (Int(3, 17), Column.discrete(15)),
        (Int(0, 100, step=5), Column.discrete(21)),
        (Float(-1.0, 1.0, step=0.25), Column.discrete(9)),
        (Int(1, 1000, log=True), Column.discrete(1000, log_low=1)),
        (Int(16, 512, log=True), Column.discrete(497, log_low=16)),
        (Categorical(["a", "b", "c"]), Column.categorical(3)),
    ],
)
def test_column_cells_match_the_codec(dist, column):
    codec = SpaceCodec({"p": dist})
    if isinstance(dist, Categorical):
        values = list(dist.choices)
    elif isinstance(dist, Int):
        values = list(range(dist.low, dist.high + 1, dist.step))
    else:
        values = [dist.low + k * dist.step for k in range(column.n)]
    assert len(values) == column.n
    u = codec.encode([{"p": v} for v in values])[:, 0]
    k = column.cell_of(u)
    assert k.tolist() == list(range(column.n))  # every grid value owns its own cell, in order
    assert np.allclose(column.center(k), u)  # centres are the codec's codes
    edges = column.edge(np.arange(column.n + 1))
    assert edges[0] == pytest.approx(0.0) and edges[-1] == pytest.approx(1.0)
    assert np.all(np.diff(edges) > 0)
    # decoding anywhere inside a cell gives that cell's value
    inner = edges[:-1] + 0.999 * np.diff(edges)
    assert [codec.decode(np.array([x]))["p"] for x in inner] == values


def test_column_validation():
    with pytest.raises(ValueError, match="n=0"):
        Column.discrete(0)
    with pytest.raises(ValueError, match="log_low=0"):
        Column.discrete(5, log_low=0)
    with pytest.raises(ValueError, match="n_choices=0"):
        Column.categorical(0)


# -- small kernels ------------------------------------------------------------------------------
def test_log_gauss_mass_matches_scipy_in_safe_range():
    rng = np.random.default_rng(0)
    a = rng.uniform(-5, 5, 200)
    b = a + rng.uniform(1e-3, 4, 200)
    expected = np.log(stats.norm.cdf(b) - stats.norm.cdf(a))
    assert np.allclose(log_gauss_mass(a, b), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("a", "b"), [(-40.0, -39.0), (-12.0, -11.99), (39.0, 40.0), (8.0, 9.0)])
def test_log_gauss_mass_is_accurate_in_the_tails(a, b):
    # independent formula: log Phi(hi) + log(1 - exp(log Phi(lo) - log Phi(hi))) on the mirror
    lo, hi = (a, b) if b <= 0 else (-b, -a)
    expected = log_ndtr(hi) + math.log(-math.expm1(log_ndtr(lo) - log_ndtr(hi)))
    assert float(log_gauss_mass(np.array(a), np.array(b))) == pytest.approx(expected, rel=1e-9)


def test_neighbor_bandwidths_cases():
    # sorted: 0.1, 0.2, 0.5 with outer neighbours 0 and 1; outermost use the inner gap
    assert neighbor_bandwidths(np.array([0.5, 0.1, 0.2])).tolist() == pytest.approx(
        [0.3, 0.1, 0.3])
    # with endpoints: max(left, right) for every kernel
    assert neighbor_bandwidths(np.array([0.5, 0.1, 0.2]), consider_endpoints=True).tolist() == (
        pytest.approx([0.5, 0.1, 0.3]))
    # one observation: the larger distance to a bound
    assert neighbor_bandwidths(np.array([0.3])).tolist() == pytest.approx([0.7])
    # duplicates give zero gaps, which the clip lifts
    assert neighbor_bandwidths(np.array([0.4, 0.4, 0.4]), min_bandwidth=0.05).tolist() == (
        pytest.approx([0.05, 0.05, 0.05]))
    assert neighbor_bandwidths(np.zeros(0)).shape == (0,)


def test_scott_bandwidth_formula():
    X = np.array([[0.1, 0.5], [0.2, 0.5], [0.4, 0.6], [0.8, 0.9]])
    n, d = X.shape
    std = X.std(axis=0)
    iqr = (np.percentile(X, 75, axis=0) - np.percentile(X, 25, axis=0)) / 1.34
    expected = 1.06 * np.minimum(std, np.where(iqr > 0, iqr, np.inf)) * n ** (-1 / (d + 4))
    assert scott_bandwidth(X) == pytest.approx(expected)
    # weights: a zero-weight row does not count, and the effective n shrinks
    w = np.array([1.0, 1.0, 1.0, 0.0])
    sw = scott_bandwidth(X, w)
    assert sw[0] == pytest.approx(1.06 * min(X[:3, 0].std(), iqr[0]) * 3 ** (-1 / 6))


def test_categorical_kernel_rows():
    P = categorical_kernel(np.array([0, 2, 1]), 4, np.array([0.0, 0.4, 1.0]))
    assert np.allclose(P.sum(axis=1), 1.0)
    assert P[0].tolist() == [1.0, 0.0, 0.0, 0.0]  # no smoothing: one-hot
    assert P[1].tolist() == pytest.approx([0.1, 0.1, 0.7, 0.1])
    assert P[2].tolist() == pytest.approx([0.25] * 4)  # full smoothing: uniform
    assert categorical_kernel(np.array([0, 0]), 1, 0.5).tolist() == [[1.0], [1.0]]


# -- normalisation ------------------------------------------------------------------------------
@pytest.mark.parametrize("bandwidth", ["neighbor", "scott"])
@pytest.mark.parametrize("obs", [[0.5], [0.0, 0.01, 1.0], [0.2, 0.25, 0.3, 0.9]])
def test_continuous_density_integrates_to_one(obs, bandwidth):
    pe = fit_parzen(np.array(obs)[:, None], [Column.continuous()], bandwidth=bandwidth)
    assert _integrate_1d(pe) == pytest.approx(1.0, abs=1e-6)


def test_truncated_narrow_kernels_at_the_bounds_integrate_to_one():
    X = np.array([[0.0], [0.0005], [0.9999], [1.0]])
    pe = fit_parzen(X, [Column.continuous()], min_bandwidth=1e-3, bandwidth_factor=0.5)
    xs = np.concatenate([np.linspace(0, 0.02, 200001), np.linspace(0.02, 0.98, 20001)[1:],
                         np.linspace(0.98, 1.0, 200001)[1:]])
    total = float(np.trapezoid(np.exp(pe.log_pdf(xs[:, None])), xs))
    assert total == pytest.approx(1.0, abs=1e-5)


def test_prior_only_estimator_is_uniform():
    cols = [Column.continuous(), Column.discrete(4, log_low=2), Column.categorical(5)]
    pe = fit_parzen(np.zeros((0, 3)), cols)
    assert pe.n_kernels == 0 and pe.weights.tolist() == [1.0]
    X = np.array([[0.3, cols[1].center(2), cols[2].center(4)]])
    width = float(cols[1].edge(3) - cols[1].edge(2))
    assert float(np.exp(pe.log_pdf(X))[0]) == pytest.approx(width / 5)


def test_log_scale_density_integrates_to_one_in_the_original_space():
    dist = Float(1e-4, 1.0, log=True)
    X = np.array([[dist.to_unit(v)] for v in (1e-3, 2e-3, 0.5)])
    pe = fit_parzen(X, [Column.continuous()])
    xs = np.geomspace(1e-4, 1.0, 200001)
    u = np.array([dist.to_unit(x) for x in xs[::100]])
    # p_x(x) = p_u(u(x)) * du/dx with du/dx = 1 / (x * log(high / low))
    xs = xs[::100]
    px = np.exp(pe.log_pdf(u[:, None])) / (xs * math.log(1e4))
    assert float(np.trapezoid(px, xs)) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("column", [Column.discrete(7), Column.discrete(30, log_low=1),
                                    Column.discrete(1), Column.categorical(6)])
def test_discrete_and_categorical_masses_sum_to_one(column):
    rng = np.random.default_rng(1)
    X = column.center(rng.integers(column.n, size=9))[:, None]
    for bw in ("neighbor", "scott"):
        pe = fit_parzen(X, [column], bandwidth=bw, weights=rng.random(9))
        grid = column.center(np.arange(column.n))[:, None]
        assert float(np.exp(pe.log_pdf(grid)).sum()) == pytest.approx(1.0, abs=1e-12)


def test_mixed_product_density_integrates_to_one():
    cols = [Column.continuous(), Column.discrete(5), Column.categorical(3),
            Column.discrete(6, log_low=1)]
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.random(8)] + [c.center(rng.integers(c.n, size=8)) for c in cols[1:]])
    xs = np.linspace(0, 1, 4001)
    for bw in ("neighbor", "scott"):
        pe = fit_parzen(X, cols, bandwidth=bw, prior_weight=0.5)
        total = 0.0
        for a, b, c in itertools.product(range(5), range(3), range(6)):
            pts = np.column_stack([xs, np.full_like(xs, cols[1].center(a)),
                                   np.full_like(xs, cols[2].center(b)),
                                   np.full_like(xs, cols[3].center(c))])
            total += np.trapezoid(np.exp(pe.log_pdf(pts)), xs)
        assert total == pytest.approx(1.0, abs=1e-5)


def test_two_dimensional_continuous_density_integrates_to_one():
    X = np.array([[0.1, 0.9], [0.15, 0.8], [0.7, 0.3]])
    pe = fit_parzen(X, [Column.continuous(), Column.continuous()], prior_weight=2.0)
    g = np.linspace(0, 1, 801)
    U, V = np.meshgrid(g, g, indexing="ij")
    dens = np.exp(pe.log_pdf(np.column_stack([U.ravel(), V.ravel()]))).reshape(U.shape)
    total = np.trapezoid(np.trapezoid(dens, g, axis=1), g)
    assert total == pytest.approx(1.0, abs=1e-5)


def test_log_pdf_matches_a_direct_mixture_computation():
    rng = np.random.default_rng(3)
    cols = [Column.continuous(), Column.continuous(), Column.discrete(8), Column.categorical(3)]
    X = np.column_stack([rng.random(12), rng.random(12), cols[2].center(rng.integers(8, size=12)),
                         cols[3].center(rng.integers(3, size=12))])
    w = rng.random(12) + 0.1
    pe = fit_parzen(X, cols, weights=w, prior_weight=0.7)
    Q = np.column_stack([rng.random(30), rng.random(30), rng.random(30), rng.random(30)])
    mix = np.append(w, 0.7)
    mix /= mix.sum()
    dens = np.zeros(30)
    for i in range(12):
        term = np.ones(30)
        for p in range(2):
            mu, s = pe.mus[i, p], pe.sigmas[i, p]
            term *= stats.truncnorm.pdf(Q[:, p], -mu / s, (1 - mu) / s, loc=mu, scale=s)
        mu, s = pe.mus[i, 2], pe.sigmas[i, 2]
        k = np.floor(Q[:, 2] * 8)
        dist = stats.truncnorm(-mu / s, (1 - mu) / s, loc=mu, scale=s)
        term *= dist.cdf((k + 1) / 8) - dist.cdf(k / 8)
        term *= pe.cat_probs[0][i, np.floor(Q[:, 3] * 3).astype(int)]
        dens += mix[i] * term
    dens += mix[-1] * (1 / 8) * (1 / 3)
    assert np.allclose(np.exp(pe.log_pdf(Q)), dens, rtol=1e-9)


# -- bandwidth rules inside fit_parzen ------------------------------------------------------------
def test_magic_clip_and_discrete_floor():
    X = np.array([[0.5, 0.55], [0.5, 0.55], [0.5, 0.55]])
    pe = fit_parzen(X, [Column.continuous(), Column.discrete(10)])
    assert pe.sigmas[:, 0] == pytest.approx([1 / 5] * 3)  # default clip 1 / min(100, n + 2)
    pe = fit_parzen(X, [Column.continuous(), Column.discrete(10)], min_bandwidth=1e-3)
    assert pe.sigmas[:, 0] == pytest.approx([1e-3] * 3)
    assert pe.sigmas[:, 1] == pytest.approx([0.25 / 10] * 3)  # a quarter of a cell at least
    wide = fit_parzen(np.array([[0.5]]), [Column.continuous()], bandwidth_factor=10.0)
    assert wide.sigmas[0, 0] == 1.0  # clipped to the unit range


def test_scott_rule_is_shared_by_all_kernels_of_a_column():
    rng = np.random.default_rng(0)
    X = rng.random((20, 3))
    pe = fit_parzen(X, [Column.continuous()] * 3, bandwidth="scott", min_bandwidth=0.0)
    assert np.allclose(pe.sigmas, scott_bandwidth(X)[None, :])


def test_categorical_smoothing_rule():
    col = Column.categorical(4)
    X = col.center(np.array([1, 1, 1, 1, 1, 1]))[:, None]
    pe = fit_parzen(X, [col], prior_weight=1.0)
    smooth = 4 / (6 + 4)  # c * prior_weight / (n + c * prior_weight)
    assert pe.cat_probs[0][0].tolist() == pytest.approx(
        [smooth / 4, 1 - 3 * smooth / 4, smooth / 4, smooth / 4])
    sharp = fit_parzen(X, [col], categorical_smoothing=0.0)
    assert sharp.cat_probs[0][0].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_fit_parzen_rejects_bad_input():
    col = [Column.continuous()]
    with pytest.raises(ValueError, match="nan"):
        fit_parzen(np.array([[np.nan]]), col)
    with pytest.raises(ValueError, match="prior_weight=0"):
        fit_parzen(np.array([[0.5]]), col, prior_weight=0)
    with pytest.raises(ValueError, match="bandwidth='silverman'"):
        fit_parzen(np.array([[0.5]]), col, bandwidth="silverman")
    with pytest.raises(ValueError, match="weights must be 1"):
        fit_parzen(np.array([[0.5]]), col, weights=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="weights must be 1"):
        fit_parzen(np.array([[0.5]]), col, weights=np.array([-1.0]))
    with pytest.raises(ValueError, match="all 0"):
        fit_parzen(np.array([[0.5]]), col, weights=np.array([0.0]))
    with pytest.raises(ValueError, match="2 columns"):
        fit_parzen(np.array([[0.5, 0.5]]), col)


# -- sampling matches the density ------------------------------------------------------------------
def test_continuous_samples_follow_the_density_ks():
    X = np.array([[0.05], [0.1], [0.6], [0.97]])
    pe = fit_parzen(X, [Column.continuous()], weights=np.array([1.0, 2.0, 1.0, 0.5]))
    cdf_vals = np.concatenate([[0.0], np.cumsum(
        0.5 * (np.exp(pe.log_pdf(XS[1:, None])) + np.exp(pe.log_pdf(XS[:-1, None])))
        * np.diff(XS))])
    draws = pe.sample(np.random.default_rng(0), 20000)[:, 0]
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    result = stats.kstest(draws, lambda x: np.interp(x, XS, cdf_vals))
    assert result.pvalue > 0.01, result


@pytest.mark.parametrize("column", [Column.discrete(9), Column.discrete(12, log_low=3),
                                    Column.categorical(5)])
def test_discrete_samples_follow_the_masses(column):
    rng = np.random.default_rng(5)
    X = column.center(rng.integers(column.n, size=6))[:, None]
    pe = fit_parzen(X, [column])
    draws = pe.sample(np.random.default_rng(0), 40000)[:, 0]
    k = column.cell_of(draws)
    assert np.allclose(draws, column.center(k))  # samples sit on grid codes
    counts = np.bincount(k, minlength=column.n)
    probs = np.exp(pe.log_pdf(column.center(np.arange(column.n))[:, None]))
    keep = probs * len(draws) >= 5
    observed = np.append(counts[keep], counts[~keep].sum())
    expected = np.append(probs[keep], probs[~keep].sum()) * len(draws)
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    chi2 = stats.chisquare(observed, expected * observed.sum() / expected.sum())
    assert chi2.pvalue > 0.01, chi2


def test_joint_samples_keep_each_kernels_coordinates_together():
    # two clusters on the diagonal: a product of the marginals would put half the mass
    # off-diagonal; product kernels keep it to the clusters' wide edge kernels and the prior
    X = np.array([[0.1, 0.1]] * 5 + [[0.9, 0.9]] * 5) + np.linspace(0, 0.04, 10)[:, None]
    pe = fit_parzen(X, [Column.continuous()] * 2, min_bandwidth=0.02, prior_weight=0.1)
    S = pe.sample(np.random.default_rng(0), 4000)
    off = np.mean((S[:, 0] < 0.5) != (S[:, 1] < 0.5))
    assert off < 0.15
