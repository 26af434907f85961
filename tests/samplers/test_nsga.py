"""NSGA-II / NSGA-III: selection kernels, constraint domination, mixed spaces, quality on ZDT1."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.multiobjective import hypervolume
from hyperscout.samplers.nsga import (
    NSGAIIISampler,
    NSGAIISampler,
    associate,
    das_dennis,
    default_divisions,
    normalize_objectives,
    select_nsga2,
    select_nsga3,
)
from hyperscout.trial import FrozenTrial, TrialState


def test_das_dennis_points_lie_on_the_simplex() -> None:
    for m, p in [(2, 4), (3, 5), (4, 3)]:
        R = das_dennis(m, p)
        assert len(R) == math.comb(p + m - 1, m - 1)
        np.testing.assert_allclose(R.sum(axis=1), 1.0)
        assert len(np.unique(R, axis=0)) == len(R)
    assert default_divisions(3, 91) == 12  # C(14, 2) = 91
    with pytest.raises(ValueError, match="divisions=0"):
        das_dennis(3, 0)


def test_normalisation_and_association() -> None:
    F = np.array([[2.0, 10.0], [4.0, 6.0], [6.0, 2.0]])
    Fn = normalize_objectives(F)
    np.testing.assert_allclose(Fn.min(axis=0), 0.0)
    np.testing.assert_allclose(Fn[[0, 2]], [[0.0, 1.0], [1.0, 0.0]])
    idx, d = associate(np.array([[0.0, 1.0], [0.5, 0.5]]), das_dennis(2, 2))
    assert idx.tolist() == [0, 1] and np.allclose(d, 0.0, atol=1e-6)


def test_select_nsga2_takes_fronts_then_crowding() -> None:
    L = np.array([[0.0, 4.0], [1.0, 3.0], [1.1, 2.9], [4.0, 0.0], [5.0, 5.0]])
    # front 0 has 4 points; keep 3: both extremes (inf crowding) and the less crowded middle
    chosen = select_nsga2(L, None, 3).tolist()
    assert 0 in chosen and 3 in chosen and 4 not in chosen and len(chosen) == 3
    # constraint domination: the infeasible dominating point is dropped first
    v = np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    v[0] = 1.0
    assert 0 not in select_nsga2(L, v, 4).tolist()


def test_select_nsga3_spreads_over_reference_directions() -> None:
    rng = np.random.default_rng(0)
    # a crowded cluster near one corner and a few spread points, all non-dominated
    t = np.concatenate([np.full(20, 0.02) + rng.random(20) * 0.01, [0.25, 0.5, 0.75, 1.0]])
    L = np.column_stack([t, 1 - t])
    keep = select_nsga3(L, None, 6, das_dennis(2, 5), rng)
    assert {20, 21, 22, 23} <= set(keep.tolist())  # the spread points all survive


def _zdt1(t) -> tuple[float, float]:
    x = np.array([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(5)])
    g = 1 + 9 * np.mean(x[1:])
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def _hv(sampler, n: int = 200) -> float:
    study = hs.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_zdt1, n_trials=n)
    return hypervolume(np.array([t.values for t in study.trials]), np.array([1.1, 11.0]))


@pytest.mark.parametrize("cls", [NSGAIISampler, NSGAIIISampler])
def test_beats_random_search_on_zdt1(cls) -> None:
    ours = [_hv(cls(population_size=20, seed=s)) for s in range(3)]
    rnd = [_hv(hs.samplers.RandomSampler(seed=s)) for s in range(3)]
    assert min(ours) > max(rnd), (ours, rnd)


def test_reproducible_and_reseedable() -> None:
    def params(seed: int) -> list:
        study = hs.create_study(directions=["minimize", "minimize"],
                                sampler=NSGAIISampler(population_size=6, seed=seed))
        study.optimize(_zdt1, n_trials=20)
        return [dict(t.params) for t in study.trials]

    assert params(1) == params(1)
    assert params(1) != params(2)


def test_mixed_space_children_are_valid() -> None:
    def objective(t) -> tuple[float, float]:
        a = t.suggest_int("a", 1, 9)
        b = t.suggest_int("b", 1, 1000, log=True)
        c = t.suggest_categorical("c", ["x", "y", "z"])
        d = t.suggest_float("d", 0.0, 1.0, step=0.25)
        e = t.suggest_float("e", 1e-4, 1.0, log=True)
        return a + d + (c == "x"), b * e

    study = hs.create_study(directions=["minimize", "minimize"],
                            sampler=NSGAIISampler(population_size=8, seed=0))
    study.optimize(objective, n_trials=48)
    for t in study.trials:
        p = t.params
        assert isinstance(p["a"], int) and 1 <= p["a"] <= 9
        assert isinstance(p["b"], int) and 1 <= p["b"] <= 1000
        assert p["c"] in ("x", "y", "z") and p["d"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert 1e-4 <= p["e"] <= 1.0
    # categorical values other than the first generation's appear (mutation works)
    assert len({t.params["c"] for t in study.trials[8:]}) > 1


def test_conditional_parameters_are_drawn_when_missing() -> None:
    def objective(t) -> tuple[float, float]:
        kind = t.suggest_categorical("kind", ["a", "b"])
        x = t.suggest_float("xa" if kind == "a" else "xb", 0.0, 1.0)
        return x, 1 - x

    study = hs.create_study(directions=["minimize", "minimize"],
                            sampler=NSGAIISampler(population_size=5, seed=0))
    study.optimize(objective, n_trials=30)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def _trial(i: int, params: dict, values: list, cons: list | None = None) -> FrozenTrial:
    return FrozenTrial.build(
        number=i, trial_id=i, state=TrialState.COMPLETE, params=params,
        distributions={k: hs.Float(0.0, 1.0) for k in params}, values=values,
        system_attrs=None if cons is None else {"constraints": cons})


def test_parents_use_constraint_domination() -> None:
    # generation 0: 4 trials; the two best-looking ones are infeasible
    trials = [
        _trial(0, {"x": 0.1}, [0.0, 0.0], [1.0]),
        _trial(1, {"x": 0.2}, [0.1, 0.1], [2.0]),
        _trial(2, {"x": 0.8}, [1.0, 2.0], [0.0]),
        _trial(3, {"x": 0.9}, [2.0, 1.0], [-1.0]),
    ]
    history = History(["minimize", "minimize"], trials, len(trials), [])
    sampler = NSGAIISampler(population_size=2, seed=0)
    parents = sampler._parents(history, 2)  # generation 2: parents from generations 0 and 1
    assert sorted(t.number for t in parents) == [2, 3]


def test_single_objective_works_and_repr() -> None:
    study = hs.create_study(sampler=NSGAIISampler(population_size=10, seed=0))
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=60)
    assert study.best_value < 0.05
    assert "population_size=10" in repr(NSGAIIISampler(population_size=10))


@pytest.mark.parametrize("kwargs, match", [
    ({"population_size": 1}, r"NSGAIISampler\(population_size=1\): give an int >= 2"),
    ({"crossover": "pmx"}, r"crossover='pmx'"),
    ({"crossover_prob": 1.5}, r"crossover_prob=1.5"),
    ({"mutation_prob": -0.1}, r"mutation_prob=-0.1"),
])
def test_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        NSGAIISampler(**kwargs)


def test_nsga3_bad_reference_points() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        NSGAIIISampler(reference_points=np.array([[-1.0, 2.0]]))
    with pytest.raises(ValueError, match="divisions=0"):
        NSGAIIISampler(divisions=0)
    sampler = NSGAIIISampler(population_size=4, reference_points=np.eye(2), seed=0)
    study = hs.create_study(directions=["minimize"] * 3, sampler=sampler)
    with pytest.raises(ValueError, match="one column per objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1),) * 3, n_trials=12)


def test_parents_are_not_reused_across_studies_that_share_trial_ids() -> None:
    sampler = NSGAIISampler(population_size=2, seed=0)

    def history(values: list[list[float]]) -> History:
        trials = [_trial(i, {"x": 0.1 * i}, v) for i, v in enumerate(values)]
        return History(["minimize", "minimize"], trials, len(trials), [])

    first = sampler._parents(history([[0, 0], [1, 1], [2, 2], [3, 3]]), 2)
    assert sorted(t.number for t in first) == [0, 1]
    # another study, same trial ids and numbers, other values: its own parents
    second = sampler._parents(history([[3, 3], [2, 2], [1, 1], [0, 0]]), 2)
    assert sorted(t.number for t in second) == [2, 3]
