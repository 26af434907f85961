"""The math of the transfer models, against brute force and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from hyperscout.samplers.gp.likelihood import GaussianProcess
from hyperscout.space import Categorical, Float
from hyperscout.space.codec import SpaceCodec
from hyperscout.transfer._gp import (
    EnsembleGP,
    SubGP,
    _spec,
    fit_local_quadratic,
    loo_mean,
    propose_quadratic_step,
    stacked,
    trust_region_radius,
)
from hyperscout.transfer._tpe import fit_pair, log_mixture

SPACE = {"x": Float(0, 1), "y": Float(0, 1), "k": Categorical(["a", "b"])}


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    codec = SpaceCodec(SPACE, onehot=True)
    params = [{"x": float(a), "y": float(b), "k": str(c)}
              for a, b, c in zip(rng.random(n), rng.random(n), rng.choice(["a", "b"], n))]
    X = codec.encode(params)
    y = (X[:, 0] - 0.3) ** 2 + (X[:, 1] - 0.6) ** 2 + 0.1 * X[:, 2]
    return codec, X, y


def _gp(codec, X, y):
    spec = _spec(codec)
    theta = np.array([np.log(0.4), np.log(0.5), np.log(0.7), 0.0])
    return GaussianProcess(spec, theta, 1e-4, X, y)


def test_loo_mean_matches_refitting_without_each_point() -> None:
    codec, X, y = _data(12)
    gp = _gp(codec, X, y)
    loo = loo_mean(gp)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        other = GaussianProcess(gp.spec, gp.theta, gp.noise, X[keep], y[keep])
        assert loo[i] == pytest.approx(other.predict(X[i:i + 1])[0][0], abs=1e-6)


def test_ensemble_mean_variance_and_gradients() -> None:
    codec, X, y = _data(10)
    a, b = _gp(codec, X, y), _gp(codec, X, -y)
    cols = np.array([0, 1])  # a member that sees x and y only
    sub = SubGP(GaussianProcess(_spec(SpaceCodec({"x": SPACE["x"], "y": SPACE["y"]},
                                                  onehot=True)),
                                np.array([np.log(0.4), np.log(0.5), 0.0]), 1e-4, X[:, cols], y),
                cols, codec.n_columns)
    ens = EnsembleGP([a, b, sub, a], [0.5, 0.3, 0.2, 0.0])
    x = np.array([[0.2, 0.7, 1.0, 0.0]])
    m, v = ens.predict(x)
    ma, va = a.predict(x)
    mb, vb = b.predict(x)
    ms, vs = sub.predict(x)
    assert m[0] == pytest.approx(0.5 * ma[0] + 0.3 * mb[0] + 0.2 * ms[0])
    assert v[0] == pytest.approx(0.25 * va[0] + 0.09 * vb[0] + 0.04 * vs[0])
    _, _, dm, dv = ens.predict_grad(x)
    eps = 1e-6
    for j in (0, 1):
        e = np.zeros_like(x)
        e[0, j] = eps
        (mp, vp), (mm, vm) = ens.predict(x + e), ens.predict(x - e)
        assert dm[0, j] == pytest.approx((mp[0] - mm[0]) / (2 * eps), rel=1e-4, abs=1e-6)
        assert dv[0, j] == pytest.approx((vp[0] - vm[0]) / (2 * eps), rel=1e-4, abs=1e-6)
    assert dm[0, 2:].tolist() == pytest.approx(
        (0.5 * a.predict_grad(x)[2] + 0.3 * b.predict_grad(x)[2])[0, 2:].tolist())
    with pytest.raises(ValueError, match="every weight is 0"):
        EnsembleGP([a], [0.0])


def test_a_stacked_gp_with_strength_zero_is_a_gp_on_the_current_data() -> None:
    codec, X, y = _data(15, seed=1)
    prior = EnsembleGP([_gp(codec, X, -y)], [1.0])  # an adversarial prior
    rng = np.random.default_rng(0)
    st = stacked(prior, 0.0, codec, X, y, rng, None)
    # the prior has no say: the model ranks the observations like the data
    m = st.predict(X)[0]
    assert np.corrcoef(m, y)[0, 1] > 0.95
    st1 = stacked(prior, 1.0, codec, X, y, rng, None)
    assert st1.a == 1.0 and np.isfinite(st1.predict(X)[0]).all()


def test_local_quadratic_is_exact_on_quadratics_full_separable_and_linear() -> None:
    rng = np.random.default_rng(0)
    A = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 3.0]])
    b = np.array([0.5, -1.0, 0.2])

    def q(U):
        return 1.5 + U @ b + 0.5 * np.einsum("ni,ij,nj->n", U, A, U)

    U = rng.uniform(-1, 1, (14, 3))  # > 10 terms: full quadratic
    f, g = fit_local_quadratic(U, q(U))
    Z = rng.uniform(-1, 1, (5, 3))
    assert np.allclose(f(Z), q(Z), atol=1e-6)
    assert np.allclose(g(Z), b + Z @ A, atol=1e-6)
    D = np.diag(np.diag(A))  # 8 rows: separable model, exact on a separable quadratic
    U8 = U[:8]
    f, _ = fit_local_quadratic(U8, 1.5 + U8 @ b + 0.5 * np.einsum("ni,ij,nj->n", U8, D, U8))
    assert np.allclose(f(Z), 1.5 + Z @ b + 0.5 * np.einsum("ni,ij,nj->n", Z, D, Z), atol=1e-6)
    U4 = U[:4]  # 4 rows in 3-d: a linear model
    f, g = fit_local_quadratic(U4, 2.0 + U4 @ b)
    assert np.allclose(g(Z), b, atol=1e-6) and np.allclose(f(Z), 2.0 + Z @ b, atol=1e-6)


def _bowl_rows(n, centre, spread, seed):
    codec = SpaceCodec(SPACE, onehot=True)
    rng = np.random.default_rng(seed)
    xy = np.clip(centre + rng.uniform(-spread, spread, (n, 2)), 0, 1)
    params = [{"x": float(a), "y": float(b), "k": "a"} for a, b in xy]
    X = codec.encode(params)
    return codec, X, (X[:, 0] - 0.3) ** 2 + 2 * (X[:, 1] - 0.6) ** 2


def test_quadratic_step_starts_with_the_stencil_then_moves_to_the_minimum() -> None:
    codec, X, y = _bowl_rows(1, np.array([0.35, 0.62]), 0.0, 0)
    rng = np.random.default_rng(0)
    row, step = propose_quadratic_step(X, y, codec, rng, X[0], 0.05, X)
    assert step == "stencil"
    assert row[0] == pytest.approx(0.40) and row[1] == pytest.approx(0.62)
    assert row[2:].tolist() == X[0, 2:].tolist()  # the categorical choice is kept
    # with enough rows near the incumbent: a model step, inside the box, nearer the minimum
    codec, X, y = _bowl_rows(12, np.array([0.35, 0.62]), 0.05, 1)
    inc = X[int(np.argmin(y))]
    row, step = propose_quadratic_step(X, y, codec, rng, inc, 0.1, X)
    assert step == "model"
    assert np.abs(row[:2] - inc[:2]).max() <= 0.1 + 1e-9
    assert row[0] == pytest.approx(0.3, abs=1e-4) and row[1] == pytest.approx(0.6, abs=1e-4)
    assert row[2:].tolist() == inc[2:].tolist()
    # a small box with no rows in it: a stencil point again, at the box's edge
    row, step = propose_quadratic_step(X, y, codec, rng, inc, 0.001, X)
    assert step == "stencil"
    assert np.abs(row[:2] - inc[:2]).max() == pytest.approx(0.001)


def test_trust_region_radius_replays_failures_and_successes() -> None:
    assert trust_region_radius([]) == 0.05
    assert trust_region_radius([False]) == 0.025
    assert trust_region_radius([True, True]) == 0.05  # two successes: no change yet
    assert trust_region_radius([True] * 3) == 0.1
    assert trust_region_radius([True] * 30) == 0.4  # capped
    assert trust_region_radius([True, True, False, True]) == 0.025  # a failure resets the streak
    # converged below the smallest half-width: start again
    assert trust_region_radius([False] * 7) == pytest.approx(0.05 / 2**7)
    assert trust_region_radius([False] * 8) == 0.05
    with pytest.raises(ValueError, match="smallest"):
        trust_region_radius([], initial=1.0, largest=0.5)


def test_parzen_mixture_is_a_normalised_weighted_sum() -> None:
    space = {"x": Float(0, 1), "y": Float(0, 1)}
    full = SpaceCodec(space)
    rng = np.random.default_rng(0)
    X = rng.random((20, 2))
    losses = ((X - 0.3) ** 2).sum(1)
    l1, g1 = fit_pair(X, losses, np.array([0, 1]), space, full)
    l2, _ = fit_pair(X[:, :1], losses, np.array([0]), space, full)  # flat along y
    w = np.array([0.7, 0.3])
    pts = rng.random((5, 2))
    mix = log_mixture([l1, l2], w, pts)
    direct = np.log(0.7 * np.exp(l1.log_pdf(pts)) + 0.3 * np.exp(l2.log_pdf(pts)))
    assert mix == pytest.approx(direct)
    # a density flat along y: the same value wherever y is
    a = l2.log_pdf(np.array([[0.3, 0.1]]))
    b = l2.log_pdf(np.array([[0.3, 0.9]]))
    assert a == pytest.approx(b)
    # good-group samples come from near the good points
    assert np.abs(l1.sample(rng, 200) - 0.3).mean() < np.abs(g1.sample(rng, 200) - 0.3).mean()


def test_curvature_model_needs_d_plus_2_rows_and_recovers_a_known_shape() -> None:
    rng = np.random.default_rng(3)
    C = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
    b = np.array([0.3, -0.2, 0.1])

    def q(U):  # the shape C, scaled by 4: the model must find the factor
        return 1.0 + U @ b + 2.0 * np.einsum("ni,ij,nj->n", U, C, U)

    U = rng.uniform(-1, 1, (5, 3))  # d + 2 rows: too few for the separable model
    f, g = fit_local_quadratic(U, q(U), curvature=C / np.trace(C))
    Z = rng.uniform(-1, 1, (4, 3))
    assert np.allclose(f(Z), q(Z), atol=1e-6)
    assert np.allclose(g(Z), b + 4.0 * Z @ C, atol=1e-6)
    # without the shape, 5 rows in 3-d give only a linear model, which misses the curvature
    f_lin, _ = fit_local_quadratic(U, q(U))
    assert not np.allclose(f_lin(Z), q(Z), atol=1e-2)


def test_basin_curvature_is_the_normalised_hessian_at_the_best_row() -> None:
    from hyperscout.transfer._gp import basin_curvature

    rng = np.random.default_rng(0)
    H = np.array([[3.0, 1.0], [1.0, 2.0]])
    X = rng.uniform(0, 1, (40, 3))
    X[:, 2] = rng.integers(0, 2, 40)  # a one-hot-like column held at the best row's choice
    d = X[:, :2] - 0.4
    y = 0.5 * np.einsum("ni,ij,nj->n", d, H, d) + np.where(X[:, 2] == 1, 0.0, 5.0)
    cat = np.array([False, False, True])
    got = basin_curvature(X, y, np.arange(2), cat)
    assert np.allclose(got, H / np.trace(H), atol=1e-6)
    assert basin_curvature(X[:6], y[:6], np.arange(2), cat) is None  # too few rows
    assert basin_curvature(X, -y, np.arange(2), cat) is None  # a maximum: no basin
    # a saddle is made positive definite: the negative eigenvalue is raised to the floor
    s = d[:, 0] ** 2 - 0.5 * d[:, 1] ** 2
    got = basin_curvature(X[:, :2], s, np.arange(2), None)
    assert got is not None and np.linalg.eigvalsh(got).min() > 0
    assert np.trace(got) == pytest.approx(1.0)
