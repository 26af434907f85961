"""Genetic algorithm: operators, generations as trial-number blocks, mixed/conditional spaces."""

from __future__ import annotations

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers._evo import blx_alpha, gaussian_mutation, sbx, tournament
from hyperscout.samplers.ga import GASampler
from hyperscout.space import Categorical, Float, Int
from hyperscout.trial import FrozenTrial, TrialState


@pytest.fixture(autouse=True)
def _quiet():
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def mixed_objective(t):
    act = t.suggest_categorical("act", ["relu", "tanh", "gelu", "selu"])
    lr = t.suggest_float("lr", 1e-5, 1, log=True)
    units = t.suggest_int("units", 1, 256, log=True)
    drop = t.suggest_float("drop", 0, 0.5, step=0.05)
    v = (np.log10(lr) + 2.5) ** 2 + 2 * (act != "gelu") + abs(units - 40) / 20
    v += 10 * (drop - 0.2) ** 2
    return v + sum((t.suggest_float(f"x{i}", -2, 2) - 0.5) ** 2 for i in range(3))


def conditional_objective(t):
    opt = t.suggest_categorical("opt", ["adam", "sgd"])
    v = (np.log10(t.suggest_float("lr", 1e-5, 1, log=True)) + 3) ** 2
    if opt == "sgd":
        v += 10 * (t.suggest_float("momentum", 0, 1) - 0.9) ** 2
    else:
        v += 1 + abs(t.suggest_int("warmup", 0, 10) - 3)
    return v


def trial(number, params, dists, value):
    return FrozenTrial.build(number=number, trial_id=number, state=TrialState.COMPLETE,
                             params=params, distributions=dists, values=[value])


# -- operators ------------------------------------------------------------------------------
def test_blx_samples_the_widened_interval():
    rng = np.random.default_rng(0)
    kids = np.array([blx_alpha(np.array([0.4]), np.array([0.6]), rng)[0] for _ in range(2000)])
    assert kids.min() >= 0.3 - 1e-12 and kids.max() <= 0.7 + 1e-12
    assert kids.min() < 0.32 and kids.max() > 0.68  # the whole [min - aI, max + aI] is reached


def test_sbx_children_spread_around_the_parents_and_stay_in_bounds():
    rng = np.random.default_rng(0)
    kids = np.array([sbx(np.array([0.2]), np.array([0.8]), rng)[0] for _ in range(4000)])
    assert np.all((kids >= 0) & (kids <= 1))
    assert abs(kids.mean() - 0.5) < 0.02  # symmetric around the parents' mean
    near = np.minimum(abs(kids - 0.2), abs(kids - 0.8)) < 0.1
    assert near.mean() > 0.5  # eta=15 keeps children close to a parent


def test_gaussian_mutation_reflects_into_the_unit_interval():
    v = gaussian_mutation(np.array([0.0, 1.0, 0.5]), 0.5, np.random.default_rng(1))
    assert np.all((v >= 0) & (v <= 1))


def test_tournament_of_everyone_is_the_best():
    assert tournament(np.array([5.0, 3.0, 9.0, 4.0]), 4, np.random.default_rng(0)) == 1
    wins = [tournament(np.arange(10.0), 2, np.random.default_rng(i)) for i in range(500)]
    assert np.mean(wins) < 4.5  # selection pressure: better (lower) entries win more often


# -- generations ----------------------------------------------------------------------------
def test_population_is_previous_generation_plus_elite():
    d = {"x": Float(0, 1)}
    gen0 = [trial(i, {"x": i / 10}, d, v) for i, v in enumerate([0.1, 5, 6, 7])]
    gen1 = [trial(4 + i, {"x": i / 10}, d, v) for i, v in enumerate([1, 2, 3, 4])]
    ga = GASampler(population_size=4, elite=1, seed=0)
    history = History(["minimize"], gen0 + gen1, 8, [])
    pop = ga._population(history, 2)
    assert [t.number for _, t in pop] == [0, 4, 5, 6, 7]  # gen 1 and the study's best
    # a generation with gaps (failed or still running) is completed by the best earlier trials
    history = History(["minimize"], [*gen0, gen1[3]], 5, [])
    assert [t.number for _, t in GASampler(population_size=4, seed=0)._population(history, 2)
            ] == [0, 7, 1, 2]


def test_children_breed_from_parents_and_inherit_conditional_genes():
    dists = {"opt": Categorical(["adam", "sgd"]), "momentum": Float(0, 1), "lr": Float(0, 1)}
    sgd = trial(0, {"opt": "sgd", "momentum": 0.9, "lr": 0.2}, dists, 1.0)
    adam = trial(1, {"opt": "adam", "lr": 0.3},
                 {"opt": dists["opt"], "lr": dists["lr"]}, 2.0)
    ga = GASampler(population_size=2, crossover_prob=1.0, mutation_prob=0.0, seed=0)
    for _ in range(20):
        child = ga._breed([(1.0, sgd), (2.0, adam)])
        assert child["momentum"][0] == 0.9  # only one parent has it: inherited as is
        assert child["opt"][0] in {"adam", "sgd"}
        assert 0.15 <= child["lr"][0] <= 0.35  # BLX-0.5 around 0.2 and 0.3


def test_a_child_is_never_a_copy_of_its_parent():
    d = {"x": Float(0, 1), "n": Int(0, 2)}
    p = [(0.0, trial(0, {"x": 0.5, "n": 1}, d, 0.0))]
    ga = GASampler(population_size=2, crossover_prob=0.0, mutation_prob=0.0, seed=0)
    for _ in range(20):
        child = ga._breed(p)
        assert (child["x"][0], child["n"][0]) != (0.5, 1)


def test_generation_zero_is_random_and_later_ones_are_bred():
    ga = GASampler(population_size=8, seed=0)
    study = hs.create_study(sampler=ga)
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 4) ** 2, n_trials=40)
    gen0 = [t.params["x"] for t in study.trials[:8]]
    last = [t.params["x"] for t in study.trials[32:]]
    assert np.std(last) < np.std(gen0)
    assert abs(np.median(last) - 4) < abs(np.median(gen0) - 4)


# -- end to end -----------------------------------------------------------------------------
def test_beats_random_search_on_a_mixed_space():
    ga = [_best(GASampler(population_size=20, seed=s), mixed_objective, 300) for s in range(3)]
    rnd = [_best(hs.samplers.RandomSampler(seed=s), mixed_objective, 300) for s in range(3)]
    assert np.mean(ga) < 0.25 * np.mean(rnd), (ga, rnd)
    assert max(ga) < min(rnd)  # every seed, not just on average


def _best(sampler, objective, n):
    study = hs.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n)
    return study.best_value


def test_handles_conditional_spaces():
    study = hs.create_study(sampler=GASampler(population_size=10, seed=1))
    study.optimize(conditional_objective, n_trials=120)
    for t in study.trials:
        assert ("momentum" in t.params) == (t.params["opt"] == "sgd")
        assert ("warmup" in t.params) == (t.params["opt"] == "adam")
    assert study.best_value < 0.5


@pytest.mark.parametrize("crossover", ["uniform", "blx", "sbx"])
def test_every_crossover_keeps_values_on_their_grids(crossover):
    study = hs.create_study(sampler=GASampler(population_size=6, crossover=crossover, seed=0))
    study.optimize(mixed_objective, n_trials=30)
    for t in study.trials:
        assert t.params["act"] in {"relu", "tanh", "gelu", "selu"}
        assert isinstance(t.params["units"], int) and 1 <= t.params["units"] <= 256
        assert round(t.params["drop"] / 0.05, 9) % 1 == 0
        assert 1e-5 <= t.params["lr"] <= 1


def test_seeded_runs_are_reproducible():
    def run(seed):
        study = hs.create_study(sampler=GASampler(population_size=5, seed=seed))
        study.optimize(mixed_objective, n_trials=25)
        return [t.params for t in study.trials]

    assert run(2) == run(2)
    assert run(2) != run(3)


def test_a_sampler_reused_for_another_study_forgets_the_first():
    ga = GASampler(population_size=5, seed=0)
    first = hs.create_study(sampler=ga)
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    second = hs.create_study(sampler=ga)
    second.optimize(lambda t: -t.suggest_float("x", 0, 1), n_trials=12)
    ids = {t.trial_id for t in second.trials}
    assert all(t.trial_id in ids for _, t in ga._population(second._history(), 2))


def test_maximize_selects_the_largest_values():
    study = hs.create_study(sampler=GASampler(population_size=8, seed=0), direction="maximize")
    study.optimize(lambda t: -abs(t.suggest_int("n", 0, 100) - 70), n_trials=80)
    assert study.best_value >= -2


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"population_size": 1}, "population_size"), ({"crossover": "one-point"}, "crossover"),
     ({"crossover_prob": 1.5}, "crossover_prob"), ({"mutation_prob": -0.1}, "mutation_prob"),
     ({"tournament_size": 0}, "tournament_size"), ({"elite": -1}, "elite"),
     ({"population_size": 4, "elite": 5}, "elite")],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GASampler(**kwargs)


def test_multi_objective_points_to_nsga2():
    study = hs.create_study(directions=["minimize", "maximize"], sampler=GASampler(seed=0))
    with pytest.raises(NotImplementedError, match="NSGA-II"):
        study.ask({"x": Float(0, 1)})
