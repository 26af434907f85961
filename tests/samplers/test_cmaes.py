"""CMA-ES: the math kernels, the history replay, restarts, margin, and end-to-end quality."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

import hyperscout as hs
from hyperscout.samplers import _evo
from hyperscout.samplers._evo import (
    cma_constants,
    cma_init,
    cma_sample,
    cma_should_stop,
    cma_tell,
    margin_correct,
)
from hyperscout.samplers.cmaes import GEN_KEY, Z_KEY, CmaEsSampler, _thresholds
from hyperscout.space import Float, Int


@pytest.fixture(autouse=True)
def _quiet():
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def sphere_study(sampler, n_trials, d=4, shift=0.3):
    study = hs.create_study(sampler=sampler)
    study.optimize(
        lambda t: sum((t.suggest_float(f"x{i}", -1, 1) - shift) ** 2 for i in range(d)),
        n_trials=n_trials,
    )
    return study


# -- math kernels ---------------------------------------------------------------------------
def test_constants_follow_the_tutorial():
    k = cma_constants(10, 10)
    assert k.mu == 5
    assert math.isclose(k.weights[: k.mu].sum(), 1.0)
    assert np.all(np.diff(k.weights) < 0) and np.all(k.weights[k.mu:] <= 0)
    w = np.log(5.5) - np.log(np.arange(1, 6))
    assert math.isclose(k.mueff, w.sum() ** 2 / (w**2).sum())
    assert math.isclose(k.chi_n, math.sqrt(10) * (1 - 1 / 40 + 1 / 2100))
    assert k.c1 + k.cmu <= 1


def test_update_matches_the_cmaes_package():
    cmaes = pytest.importorskip("cmaes")
    n, lam = 4, 8
    ref = cmaes.CMA(mean=np.full(n, 0.5), sigma=0.2, population_size=lam, seed=1)
    k, s = cma_constants(n, lam), cma_init(np.full(n, 0.5), 0.2)
    for _ in range(15):
        X = np.array([ref.ask() for _ in range(lam)])
        f = ((X - 0.3) ** 2 * np.arange(1, n + 1)).sum(axis=1)
        ref.tell(list(zip(X, f)))
        s = cma_tell(s, k, X, f)
    # the package adds 1e-8 inside one denominator; everything else is the same formula
    np.testing.assert_allclose(s.mean, ref._mean, atol=1e-9)
    np.testing.assert_allclose(s.C, ref._C, atol=1e-6)
    assert math.isclose(s.sigma, ref._sigma, rel_tol=1e-6)


def test_update_converges_on_an_ill_conditioned_quadratic():
    n, lam = 5, 10
    k, s = cma_constants(n, lam), cma_init(np.full(n, 0.5), 0.3)
    rng = np.random.default_rng(0)
    scale = 10.0 ** np.arange(n)
    for _ in range(400):
        X = np.array([cma_sample(s, rng) for _ in range(lam)])
        s = cma_tell(s, k, X, (scale * (X - 0.25) ** 2).sum(axis=1))
    np.testing.assert_allclose(s.mean, 0.25, atol=1e-5)
    # the covariance learned the scaling: variances shrink with the curvature
    assert np.all(np.diff(np.log(np.diag(s.C))) < 0)


def test_tell_rejects_a_wrong_generation_shape():
    k = cma_constants(2, 6)
    with pytest.raises(ValueError, match="shape"):
        cma_tell(cma_init([0.5, 0.5], 0.2), k, np.zeros((5, 2)), np.zeros(5))


def test_sample_respects_unit_bounds_of_continuous_coordinates():
    s = cma_init([0.99, 0.5], 0.5)
    bounded = np.array([True, False])
    xs = np.array([cma_sample(s, np.random.default_rng(i), bounded) for i in range(200)])
    assert np.all((xs[:, 0] >= 0) & (xs[:, 0] <= 1))
    assert xs[:, 1].min() < 0 or xs[:, 1].max() > 1  # unbounded coordinates are left alone


@pytest.mark.parametrize("m", [0.5, 0.1, 0.3, 0.9])
def test_margin_bounds_the_probability_of_leaving_the_cell(m):
    alpha = 0.05
    thr = np.array([0.25, 0.5, 0.75])
    s = margin_correct(cma_init([m, 0.5], 1e-4), [0], [thr], alpha)
    assert s.A[0] > 0
    sd = s.sigma * s.A[0] * math.sqrt(s.C[0, 0])
    cell = int(np.searchsorted(thr, s.mean[0]))
    p_low = ndtr((thr[cell - 1] - s.mean[0]) / sd) if cell > 0 else 1.0
    p_up = 1 - ndtr((thr[cell] - s.mean[0]) / sd) if cell < thr.size else 1.0
    assert min(p_low, p_up) >= alpha / 2 - 1e-9
    assert s.mean[1] == 0.5 and s.A[1] == 1.0  # continuous coordinates untouched


def test_margin_leaves_a_wide_distribution_alone():
    s0 = cma_init([0.4, 0.5], 0.3)
    s = margin_correct(s0, [0], [np.array([0.5])], alpha=0.01)
    assert math.isclose(s.mean[0], 0.4) and math.isclose(s.A[0], 1.0)


def test_thresholds_are_cell_boundaries_in_unit_space():
    np.testing.assert_allclose(_thresholds(Int(0, 3)), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(_thresholds(Float(0, 1, step=0.5)), [1 / 3, 2 / 3])
    d = Int(1, 100, log=True)
    for v, t in zip(range(1, 100), _thresholds(d)):
        assert d.from_unit(t - 1e-9) == v and d.from_unit(t + 1e-9) == v + 1


def test_should_stop_on_a_plateau_and_on_collapse():
    k = cma_constants(2, 6)
    s = cma_init([0.5, 0.5], 0.2)
    rng = np.random.default_rng(0)
    for _ in range(k.funhist_term + 1):
        X = np.array([cma_sample(s, rng) for _ in range(6)])
        s = cma_tell(s, k, X, np.ones(6))
    assert cma_should_stop(s, k) == "tolfun"
    tiny = cma_init([0.5, 0.5], 1e-20)
    assert cma_should_stop(tiny, k) in {"noeffectcoord", "noeffectaxis"}


# -- the sampler ----------------------------------------------------------------------------
def test_beats_random_search_by_a_wide_margin():
    cma = [sphere_study(CmaEsSampler(seed=s), 150, d=5).best_value for s in range(3)]
    rnd = [sphere_study(hs.samplers.RandomSampler(seed=s), 150, d=5).best_value for s in range(3)]
    assert np.mean(cma) < 0.1 * np.mean(rnd), (cma, rnd)
    assert max(cma) < min(rnd) / 4  # every seed, not just on average


def test_seeded_runs_are_reproducible():
    a = sphere_study(CmaEsSampler(seed=3), 30)
    b = sphere_study(CmaEsSampler(seed=3), 30)
    c = sphere_study(CmaEsSampler(seed=4), 30)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]


def test_trials_carry_small_json_tags_and_no_optimizer():
    study = hs.create_study(sampler=CmaEsSampler(seed=0, popsize=4))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 5), n_trials=12)
    first, later = study.trials[0], study.trials[1:]
    assert not first.system_attrs  # the first trial is random: no joint space yet
    gens = [t.system_attrs["sampler:" + GEN_KEY] for t in later]
    assert all(set(g) == {"space", "restart", "gen", "popsize"} for g in gens)
    assert [g["gen"] for g in gens] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
    assert all(len(t.system_attrs["sampler:" + Z_KEY]) == 1 for t in later)


def test_replay_from_history_rebuilds_the_same_state_incrementally(monkeypatch):
    calls = []
    real_tell = _evo.cma_tell
    monkeypatch.setattr("hyperscout.samplers.cmaes.cma_tell",
                        lambda *a: calls.append(1) or real_tell(*a))
    sampler = CmaEsSampler(seed=0, popsize=5)
    study = sphere_study(sampler, 61, d=3)  # a random first trial, then 12 generations
    replay = sampler._replay
    assert len(calls) == 11  # one update per generation, never a replay from scratch
    history = study._history()
    space = sampler.infer_space(history)
    sampler.sample_joint(history, study.trials[-1], space)  # sees the last generation complete
    assert sampler._replay is replay and len(calls) == 12
    # a fresh sampler (another worker, another seed) replays the same history to the same state
    other = CmaEsSampler(seed=99, popsize=5)
    other.sample_joint(history, study.trials[-1], other.infer_space(history))
    a, b = replay.run.state, other._replay.run.state
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.C, b.C)
    assert a.sigma == b.sigma and a.generation == b.generation == 12


def test_parallel_asks_share_a_generation_and_the_first_popsize_update_it():
    space = {"x": Float(0, 1), "y": Float(0, 1)}
    study = hs.create_study(sampler=CmaEsSampler(seed=0, popsize=4))
    study.tell(study.ask(space), 1.0)
    trials = [study.ask(space) for _ in range(6)]  # more than a generation, all running
    tags = [t.to_frozen() for t in trials]
    assert all(t.params.keys() == {"x", "y"} for t in tags)
    for t in trials:
        study.tell(t, t.params["x"])
    replay = study.sampler._replay
    nxt = study.ask(space)
    assert replay.run.state.generation == 1  # four complete members updated generation 0
    gen = study.tell(nxt, 0.0).system_attrs["sampler:" + GEN_KEY]["gen"]
    assert gen == 1


def test_ipop_restarts_double_the_population():
    sampler = CmaEsSampler(seed=0, popsize=4, restart="ipop")
    study = hs.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + t.suggest_float("y", 0, 1) * 0,
                   n_trials=260)
    assert sampler.restarts[:2] == ["tolfun", "tolfun"]
    tags = [t.system_attrs["sampler:" + GEN_KEY] for t in study.trials[1:]]
    sizes = {g["restart"]: g["popsize"] for g in tags}
    assert sizes[0] == 4 and sizes[1] == 8 and sizes.get(2, 16) == 16
    # another worker, seeded differently, replays the same restarts to the same point
    history = study._history()
    other = CmaEsSampler(seed=123, popsize=4, restart="ipop")
    other.sample_joint(history, study.trials[-1], other.infer_space(history))
    sampler.sample_joint(history, study.trials[-1], sampler.infer_space(history))
    assert other._replay.run.restart == sampler._replay.run.restart >= 2
    np.testing.assert_array_equal(other._replay.run.state.mean, sampler._replay.run.state.mean)


def test_bipop_alternates_regimes():
    sampler = CmaEsSampler(seed=1, popsize=4, restart="bipop")
    study = hs.create_study(sampler=sampler)
    study.optimize(lambda t: 0.0 * t.suggest_float("x", 0, 1) * t.suggest_float("y", 0, 1),
                   n_trials=300)
    assert len(sampler.restarts) >= 2
    assert sampler._replay.evals["small"] > 0 and sampler._replay.evals["large"] > 0


def test_margin_keeps_integer_coordinates_searching():
    # ten binary switches worth 10 each plus a steep continuous part: as the step size shrinks
    # for the continuous part, the switches freeze unless the margin keeps them flipping
    def objective(t):
        v = sum(1000 ** (i / 2) * (t.suggest_float(f"x{i}", -1, 1) - 0.1) ** 2 for i in range(3))
        return v + 10 * sum(t.suggest_int(f"b{i}", 0, 1) != 1 for i in range(10))

    def flip_probability(sampler):
        r = sampler._replay
        s = r.run.state
        sd = np.array([s.sigma * s.A[i] * math.sqrt(s.C[i, i]) for i in r.discrete])
        p_up = 1 - ndtr((0.5 - s.mean[r.discrete]) / sd)
        return np.minimum(p_up, 1 - p_up).min(), 1 / (len(r.space) * r.run.popsize)

    for seed in range(2):
        with_margin = CmaEsSampler(seed=seed, restart=None)
        study = hs.create_study(sampler=with_margin)
        study.optimize(objective, n_trials=300)
        assert study.best_value < 5, study.best_value  # every switch found
        p, alpha = flip_probability(with_margin)
        assert p >= alpha / 2

        without = CmaEsSampler(seed=seed, restart=None, with_margin=False)
        hs.create_study(sampler=without).optimize(objective, n_trials=300)
        assert flip_probability(without)[0] < 1e-4  # frozen


def test_integers_and_categoricals_stay_valid():
    def objective(t):
        c = t.suggest_categorical("c", ["a", "b", "c"])
        n = t.suggest_int("n", 2, 64, log=True)
        s = t.suggest_float("s", 0, 1, step=0.25)
        return (n - 10) ** 2 + s + (c != "b")

    study = hs.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(objective, n_trials=60)
    for t in study.trials:
        assert t.params["c"] in {"a", "b", "c"}
        assert isinstance(t.params["n"], int) and 2 <= t.params["n"] <= 64
        assert t.params["s"] in {0.0, 0.25, 0.5, 0.75, 1.0}
    assert "c" not in study.sampler._replay.space  # categoricals are sampled at random
    assert study.best_value <= 2


def test_startup_trials_are_random_and_maximize_works():
    sampler = CmaEsSampler(seed=0, n_startup_trials=8)
    study = hs.create_study(sampler=sampler, direction="maximize")
    study.optimize(lambda t: -((t.suggest_float("x", -3, 3) - 1) ** 2)
                   - (t.suggest_float("y", -3, 3) + 1) ** 2, n_trials=80)
    assert not any(t.system_attrs for t in study.trials[:8])
    assert all(t.system_attrs for t in study.trials[9:])
    assert study.best_value > -0.01


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"sigma0": 0}, "sigma0"), ({"sigma0": "big"}, "sigma0"), ({"popsize": 1}, "popsize"),
     ({"restart": "lpop"}, "restart"), ({"n_startup_trials": -1}, "n_startup_trials")],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        CmaEsSampler(**kwargs)


def test_multi_objective_points_to_nsga2():
    study = hs.create_study(directions=["minimize", "minimize"], sampler=CmaEsSampler(seed=0))
    with pytest.raises(NotImplementedError, match="NSGA-II"):
        study.ask({"x": Float(0, 1)})
