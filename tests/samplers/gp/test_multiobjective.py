"""ParEGOSampler and the GP's constrained acquisition (probability of feasibility)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.multiobjective import hypervolume
from hyperscout.samplers.gp.constraints import (
    ConstrainedAcquisition,
    constraint_matrix,
    fit_constraint_gps,
    log_pof,
)
from hyperscout.samplers.gp.kernels import KernelSpec
from hyperscout.samplers.gp.multiobjective import ParEGOSampler, chebyshev, normalize

FAST = {"n_candidates": 128, "n_starts": 2}


def test_chebyshev_and_normalize_by_hand() -> None:
    F = normalize(np.array([[0.0, 10.0], [2.0, 0.0], [1.0, 5.0]]))
    np.testing.assert_allclose(F, [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    s = chebyshev(F, np.array([0.5, 0.5]), rho=0.1)
    np.testing.assert_allclose(s, [0.5 + 0.05, 0.5 + 0.05, 0.25 + 0.05])


def test_log_pof_matches_normal_cdf_and_its_gradients() -> None:
    from scipy.stats import norm

    mean, var = np.array([-1.0, 0.3, 2.0]), np.array([0.5, 1.0, 4.0])
    v, dm, dv = log_pof(mean, var, 0.2)
    np.testing.assert_allclose(np.exp(v), norm.cdf((0.2 - mean) / np.sqrt(var)))
    eps = 1e-6
    np.testing.assert_allclose(dm, (log_pof(mean + eps, var, 0.2)[0] - v) / eps, rtol=1e-4)
    np.testing.assert_allclose(dv, (log_pof(mean, var + eps, 0.2)[0] - v) / eps, rtol=1e-4)


def test_constrained_acquisition_gradient_matches_finite_differences() -> None:
    spec = KernelSpec.build([0, 1], [False, False], warping=False)
    rng = np.random.default_rng(0)
    X = rng.random((12, 2))
    gps, ts = fit_constraint_gps(spec, X, (X[:, :1] - 0.5) * 3, rng)
    acq = ConstrainedAcquisition(None, gps, ts)
    x = np.array([[0.3, 0.6]])
    val, grad = acq.value_and_grad(x)
    assert val[0] == pytest.approx(acq(x)[0])
    eps = 1e-6
    for j in range(2):
        e = np.zeros((1, 2))
        e[0, j] = eps
        assert grad[0, j] == pytest.approx((acq(x + e)[0] - acq(x - e)[0]) / (2 * eps), rel=1e-3,
                                           abs=1e-6)
    # feasible where x0 < 0.5
    assert acq(np.array([[0.1, 0.5]]))[0] > acq(np.array([[0.9, 0.5]]))[0]


def test_constraint_matrix_handles_missing_rows() -> None:
    from hyperscout.trial import FrozenTrial, TrialState

    a = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0],
                          system_attrs={"constraints": [1.0, -1.0]})
    b = FrozenTrial.build(number=1, trial_id=1, state=TrialState.COMPLETE, values=[1.0])
    C = constraint_matrix([a, b])
    assert C.shape == (2, 2) and np.isnan(C[1]).all()
    assert constraint_matrix([b]) is None


def _zdt1(t) -> tuple[float, float]:
    x = np.array([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(4)])
    g = 1 + 9 * np.mean(x[1:])
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def test_parego_beats_random_search_on_zdt1() -> None:
    def hv(sampler) -> float:
        study = hs.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(_zdt1, n_trials=30)
        return hypervolume(np.array([t.values for t in study.trials]), np.array([1.1, 11.0]))

    ours = [hv(ParEGOSampler(seed=s, n_startup_trials=8, **FAST)) for s in range(2)]
    rnd = [hv(hs.samplers.RandomSampler(seed=s)) for s in range(2)]
    assert min(ours) > max(rnd) + 0.3, (ours, rnd)


def test_parego_is_reproducible_and_handles_maximize() -> None:
    def run(seed: int) -> list:
        study = hs.create_study(directions=["maximize", "minimize"],
                                sampler=ParEGOSampler(seed=seed, n_startup_trials=4, **FAST))
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.params["x"] ** 2 + 0.1),
                       n_trials=8)
        return [t.params["x"] for t in study.trials]

    assert run(0) == run(0)


def test_gp_honours_constraints() -> None:
    # minimise x: the unconstrained optimum x=0 is infeasible; the best feasible is x=0.6
    study = hs.create_study(sampler=hs.samplers.GPSampler(seed=0, n_startup_trials=5, **FAST),
                            constraints=lambda t: [0.6 - t.params["x"]])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    xs = [t.params["x"] for t in study.trials[5:]]
    # after the start-up, most proposals are feasible and close to the boundary
    assert np.mean(np.array(xs) >= 0.6 - 1e-3) >= 0.7
    assert min(x for x in xs if x >= 0.6) < 0.65


def test_parego_repr_and_bad_rho() -> None:
    assert "rho=0.05" in repr(ParEGOSampler(seed=0))
    with pytest.raises(ValueError, match=r"ParEGOSampler\(rho=-1\)"):
        ParEGOSampler(rho=-1)


def test_plain_gp_still_refuses_several_objectives() -> None:
    study = hs.create_study(directions=["minimize", "minimize"],
                            sampler=hs.samplers.GPSampler(seed=0))
    with pytest.raises(NotImplementedError, match="multi-objective sampler"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1),) * 2, n_trials=1)
