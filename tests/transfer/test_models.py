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
    loo_mean,
    neighbourhood,
    propose_trust_region,
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


def test_trust_region_step_stays_in_the_box_keeps_choices_and_avoids_seen_rows() -> None:
    codec, X, y = _data(20, seed=2)
    gp = _gp(codec, X, y)
    rng = np.random.default_rng(0)
    inc = X[int(np.argmin(y))]
    for radius in (0.2, 0.01):
        row = propose_trust_region(gp, codec, rng, inc, radius, float(y.min()), X)
        assert np.abs(row[:2] - inc[:2]).max() <= radius + 1e-12
        assert row[2:].tolist() == inc[2:].tolist()
        assert not np.any(np.all(np.abs(X - row) < 1e-12, axis=1))


def test_trust_region_step_moves_towards_the_local_minimum() -> None:
    # a GP on a bowl with its minimum at (0.3, 0.6): from an incumbent 0.05 away, a step in a
    # box of half-width 0.1 lands closer to the minimum than the incumbent
    codec, X, y = _data(40, seed=3)
    gp = _gp(codec, X, y)
    inc = np.array([0.35, 0.62, 1.0, 0.0])
    best = float(gp.predict(inc[None, :])[0][0])  # the incumbent's value
    row = propose_trust_region(gp, codec, np.random.default_rng(1), inc, 0.1, best, X)
    assert np.hypot(row[0] - 0.3, row[1] - 0.6) < np.hypot(0.05, 0.02)


def test_trust_region_radius_replays_failures_and_successes() -> None:
    assert trust_region_radius([]) == 0.1
    assert trust_region_radius([False]) == 0.05
    assert trust_region_radius([True, True]) == 0.1  # two successes: no change yet
    assert trust_region_radius([True] * 3) == 0.2
    assert trust_region_radius([True] * 30) == 0.4  # capped
    assert trust_region_radius([True, True, False, True]) == 0.05  # a failure resets the streak
    # converged below the smallest half-width: start again
    assert trust_region_radius([False] * 11) == pytest.approx(0.1 / 2**11)
    assert trust_region_radius([False] * 12) == 0.1
    with pytest.raises(ValueError, match="smallest"):
        trust_region_radius([], initial=1.0, largest=0.5)


def test_neighbourhood_takes_the_box_then_the_nearest_rows() -> None:
    X = np.array([[0.5, 0.5], [0.55, 0.45], [0.9, 0.1], [0.65, 0.5], [0.0, 0.0]])
    assert neighbourhood(X, X[0], 0.05, 1).tolist() == [0, 1]  # box half-width 0.1
    assert neighbourhood(X, X[0], 0.05, 3).tolist() == [0, 1, 3]  # topped up, nearest first
    assert neighbourhood(X, X[0], 0.5, 2).tolist() == [0, 1, 2, 3, 4]
    assert neighbourhood(X[:0], X[0], 0.1, 3).tolist() == []


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
