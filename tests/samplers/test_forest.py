"""Random-forest BO: EI, output transform, acquisition search, mixed/conditional spaces."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

import hyperscout as hs
from hyperscout.exceptions import OptionalDependencyError
from hyperscout.samplers import forest as forest_mod
from hyperscout.samplers.forest import (
    MISSING,
    ForestSampler,
    cap_history,
    expected_improvement,
    transform_y,
)
from hyperscout.space import Categorical, Float, Int, SpaceCodec

pytest.importorskip("sklearn")


@pytest.fixture(autouse=True)
def _quiet():
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def mixed_objective(t):
    act = t.suggest_categorical("act", ["relu", "tanh", "gelu", "selu", "elu", "silu"])
    opt = t.suggest_categorical("opt", ["adam", "sgd", "rmsprop"])
    lr = t.suggest_float("lr", 1e-5, 1, log=True)
    units = t.suggest_int("units", 1, 256, log=True)
    v = (np.log10(lr) + 2.5) ** 2 + 2 * (act != "gelu") + 1.5 * (opt != "rmsprop")
    return v + abs(units - 40) / 20 + (t.suggest_float("x", -2, 2) - 0.5) ** 2


def run(sampler, objective, n):
    study = hs.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n)
    return study


# -- kernels --------------------------------------------------------------------------------
@pytest.mark.parametrize(("mu", "var", "best"), [(0.0, 1.0, 0.0), (1.0, 0.25, 0.3),
                                                  (-2.0, 4.0, 1.0)])
def test_expected_improvement_matches_its_integral(mu, var, best):
    sd = np.sqrt(var)
    direct, _ = integrate.quad(lambda y: (best - y) * stats.norm.pdf(y, mu, sd), -np.inf, best)
    got = expected_improvement(np.array([mu]), np.array([var]), best)[0]
    assert got == pytest.approx(direct, rel=1e-7, abs=1e-12)


def test_expected_improvement_without_variance_is_the_plain_improvement():
    ei = expected_improvement(np.array([0.5, 2.0]), np.zeros(2), 1.0)
    np.testing.assert_allclose(ei, [0.5, 0.0], atol=1e-9)


def test_log_transform_is_monotone_and_compresses_the_tail():
    y = np.array([3.0, 1.0, 2.0, 1e6])
    z = transform_y(y, log=True)
    assert list(np.argsort(z)) == list(np.argsort(y))
    assert z[3] - z[2] < 20 and np.all(np.isfinite(z))
    np.testing.assert_array_equal(transform_y(y, log=False), y)


# -- the sampler ----------------------------------------------------------------------------
def test_beats_random_search_on_a_mixed_categorical_space():
    rf = [run(ForestSampler(seed=s), mixed_objective, 70).best_value for s in range(3)]
    rnd = [run(hs.samplers.RandomSampler(seed=s), mixed_objective, 70).best_value
           for s in range(3)]
    assert np.mean(rf) < 0.3 * np.mean(rnd), (rf, rnd)
    assert max(rf) < min(rnd)


def test_finds_the_best_categories():
    def objective(t):
        a = t.suggest_categorical("a", list("abcdefgh"))
        b = t.suggest_categorical("b", [1, 2, 3, 4, 5])
        return (a != "f") * 3 + abs(b - 4)

    study = run(ForestSampler(seed=0, n_startup_trials=8), objective, 40)
    assert study.best_params == {"a": "f", "b": 4}


def test_conditional_parameters_are_imputed_and_stay_consistent():
    def objective(t):
        opt = t.suggest_categorical("opt", ["adam", "sgd"])
        v = (np.log10(t.suggest_float("lr", 1e-5, 1, log=True)) + 3) ** 2
        if opt == "sgd":
            return v + 10 * (t.suggest_float("momentum", 0, 1) - 0.9) ** 2
        return v + 1 + abs(t.suggest_int("warmup", 0, 10) - 3)

    sampler = ForestSampler(seed=0)
    study = run(sampler, objective, 40)
    for t in study.trials:
        assert ("momentum" in t.params) == (t.params["opt"] == "sgd")
    codec = SpaceCodec({"opt": Categorical(["adam", "sgd"]), "momentum": Float(0, 1)})
    X = sampler._encode(codec, [{"opt": "adam"}, {"opt": "sgd", "momentum": 0.5}])
    assert X.tolist() == [[0.25, MISSING], [0.75, 0.5]]
    assert study.best_value < 1.0


def test_every_fifth_trial_is_random(monkeypatch):
    picked = []
    real = ForestSampler._maximise_ei
    monkeypatch.setattr(ForestSampler, "_maximise_ei",
                        lambda self, *a: picked.append(1) or real(self, *a))
    run(ForestSampler(seed=0, n_startup_trials=5), mixed_objective, 30)
    assert len(picked) == 25 - 5  # trials 5..29 use the model, except numbers 9, 14, 19, 24, 29


def test_fitted_history_is_capped(monkeypatch):
    sizes = []
    real = ForestSampler._fit
    monkeypatch.setattr(ForestSampler, "_fit",
                        lambda self, X, y: sizes.append(len(y)) or real(self, X, y))
    sampler = ForestSampler(seed=0, n_startup_trials=5, max_history=12, random_interleave=0)
    study = run(sampler, mixed_objective, 30)
    assert sizes[0] == 5 and max(sizes) == 12
    trials = study.trials
    kept = {t.number for t in cap_history(trials, 1.0, 12)}
    best = {t.number for t in sorted(trials, key=lambda t: t.value)[:6]}
    latest = [t.number for t in reversed(trials) if t.number not in best][:6]
    assert kept == best | set(latest)
    maximize = {t.number for t in cap_history(trials, -1.0, 12)}
    assert {t.number for t in sorted(trials, key=lambda t: -t.value)[:6]} <= maximize


def test_neighbourhood_changes_one_active_coordinate_at_a_time():
    space = {"c": Categorical(["a", "b", "c"]), "n": Int(0, 10), "x": Float(0, 1),
             "gone": Float(0, 1)}
    codec = SpaceCodec(space)
    row = np.array([0.5, Int(0, 10).to_unit(5), 0.3, MISSING])
    nbs = ForestSampler(seed=0)._neighbours(codec, row)
    changed = (nbs != row).sum(axis=1)
    assert np.all(changed == 1)
    assert not np.any(nbs[:, 3] != MISSING)  # absent parameters stay absent
    cats = {Categorical(["a", "b", "c"]).from_unit(u) for u in nbs[nbs[:, 0] != 0.5, 0]}
    assert cats == {"a", "c"}
    ints = {Int(0, 10).from_unit(u) for u in nbs[nbs[:, 1] != row[1], 1]}
    assert {4, 6} <= ints


def test_parallel_asks_propose_distinct_points():
    space = {"x": Float(0, 1), "y": Float(0, 1)}
    study = hs.create_study(sampler=ForestSampler(seed=0, n_startup_trials=6))
    for _ in range(8):
        t = study.ask(space)
        study.tell(t, (t.params["x"] - 0.3) ** 2 + (t.params["y"] - 0.6) ** 2)
    batch = [study.ask(space).params for _ in range(3)]
    assert len({(p["x"], p["y"]) for p in batch}) == 3


def test_seeded_runs_are_reproducible():
    a = [t.params for t in run(ForestSampler(seed=1, n_startup_trials=4), mixed_objective,
                               14).trials]
    b = [t.params for t in run(ForestSampler(seed=1, n_startup_trials=4), mixed_objective,
                               14).trials]
    c = [t.params for t in run(ForestSampler(seed=2, n_startup_trials=4), mixed_objective,
                               14).trials]
    assert a == b and a != c


def test_missing_sklearn_names_the_extra(monkeypatch):
    def refuse(module, *, extra, feature=None):
        raise OptionalDependencyError(f"{feature} needs scikit-learn: pip install "
                                      f"'hyperscout[{extra}]'")

    monkeypatch.setattr(forest_mod, "optional_import", refuse)
    study = hs.create_study(sampler=ForestSampler(seed=0, n_startup_trials=2))
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[sklearn\]"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"n_startup_trials": -1}, "n_startup_trials"), ({"n_trees": 0}, "n_trees"),
     ({"model": "gbm"}, "model"), ({"n_candidates": 0}, "n_candidates"),
     ({"random_interleave": -1}, "random_interleave"), ({"max_history": 1}, "max_history"),
     ({"n_local_starts": 1.5}, "n_local_starts")],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ForestSampler(**kwargs)


def test_multi_objective_points_to_nsga2():
    study = hs.create_study(directions=["minimize", "minimize"], sampler=ForestSampler(seed=0))
    with pytest.raises(NotImplementedError, match="NSGA-II"):
        study.ask({"x": Float(0, 1)})
