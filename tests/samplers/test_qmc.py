"""QMCSampler: seeded scrambled Sobol/Halton points, indexed by trial number."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers import QMCSampler
from hyperscout.samplers import qmc as qmc_module
from hyperscout.space import Categorical, Float, Int
from hyperscout.trial import FrozenTrial, TrialState


@pytest.fixture(autouse=True)
def _quiet() -> None:
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def _objective(trial: hs.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 8)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 1) ** 2 + n + (c == "a")


def _complete(number: int, params: dict, dists: dict, **system) -> FrozenTrial:
    return FrozenTrial.build(number=number, trial_id=number, state=TrialState.COMPLETE,
                             values=[0.0], params=params, distributions=dists,
                             system_attrs=system or None)


def _history(finished) -> History:
    finished = list(finished)
    return History(["minimize"], finished, len(finished), [])


def _running(number: int) -> FrozenTrial:
    return FrozenTrial.build(number=number, trial_id=number, state=TrialState.RUNNING)


SPACE = {"c": Categorical(["a", "b", "c"]), "n": Int(1, 8), "x": Float(-5, 5)}


# -- the sequence ------------------------------------------------------------------------------
@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_points_match_scipy_and_stay_put_as_the_cache_grows(qmc_type: str) -> None:
    from scipy.stats import qmc

    s = QMCSampler(qmc_type, seed=0)
    early = s.point(5, 3)
    late = s.point(100, 3)  # regrows the cached block
    assert np.array_equal(s.point(5, 3), early)
    cls = qmc.Sobol if qmc_type == "sobol" else qmc.Halton
    ref = cls(3, scramble=True, rng=np.random.default_rng(s._qmc_seed)).random(128)
    assert np.array_equal(ref[5], early) and np.array_equal(ref[100], late)
    assert ((ref >= 0) & (ref < 1)).all()


def test_unscrambled_sequences_are_the_textbook_ones() -> None:
    sobol = QMCSampler("sobol", scramble=False, seed=0)
    assert sobol.point(0, 2).tolist() == [0.0, 0.0]
    assert sobol.point(1, 2).tolist() == [0.5, 0.5]
    halton = QMCSampler("halton", scramble=False, seed=0)
    np.testing.assert_allclose(halton.point(1, 2), [0.5, 1 / 3])


def test_points_are_low_discrepancy() -> None:
    from scipy.stats import qmc

    s = QMCSampler(seed=0)
    pts = np.array([s.point(i, 2) for i in range(64)])
    rnd = np.random.default_rng(0).random((64, 2))
    assert qmc.discrepancy(pts) < qmc.discrepancy(rnd)


def test_seed_and_type_decide_the_points() -> None:
    a, b = QMCSampler(seed=1), QMCSampler(seed=1)
    assert np.array_equal(a.point(7, 4), b.point(7, 4))
    assert not np.array_equal(a.point(7, 4), QMCSampler(seed=2).point(7, 4))
    assert not np.array_equal(a.point(7, 4), QMCSampler("halton", seed=1).point(7, 4))
    a.reseed(2)
    assert np.array_equal(a.point(7, 4), QMCSampler(seed=2).point(7, 4))


def test_point_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match=r"index=-1, dim=2"):
        QMCSampler(seed=0).point(-1, 2)
    with pytest.raises(ValueError, match=r"index=0, dim=0"):
        QMCSampler(seed=0).point(0, 0)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"qmc_type": "lhs"}, ValueError, r"qmc_type='lhs'.*'sobol', 'halton'"),
        ({"scramble": "yes"}, TypeError, r"scramble='yes'"),
    ],
)
def test_invalid_arguments(kwargs, exc, match: str) -> None:
    with pytest.raises(exc, match=match):
        QMCSampler(**kwargs)


# -- the policy on hand-made histories ---------------------------------------------------------
def test_no_complete_trial_means_no_joint_space() -> None:
    assert QMCSampler(seed=0).infer_space(_history([])) == {}


def test_joint_space_is_the_sorted_intersection_without_fixed_params() -> None:
    s = QMCSampler(seed=0)
    t0 = _complete(0, {}, {"x": Float(0, 1), "b": Int(1, 2), "k": Int(3, 3), "m": Int(0, 9)})
    t1 = _complete(1, {}, {"x": Float(0, 1), "b": Int(1, 2), "k": Int(3, 3)})
    space = s.infer_space(_history([t0, t1]))
    assert list(space) == ["b", "x"]  # k has one value, m is not in every trial
    # one more trial folds into the cached intersection
    t2 = _complete(2, {}, {"x": Float(0, 1)})
    assert list(s.infer_space(_history([t0, t1, t2]))) == ["x"]


def test_sample_joint_maps_point_number_of_the_trial() -> None:
    s = QMCSampler(seed=3)
    h = _history([_complete(0, {}, SPACE)])
    for number in (1, 2, 17):
        prop = s.sample_joint(h, _running(number), SPACE)
        u = s.point(number, 3)
        assert prop.params == {n: d.from_unit(x) for (n, d), x in zip(SPACE.items(), u)}
        assert prop.state == {"qmc_seed": s._qmc_seed}


def test_the_studys_first_seed_wins() -> None:
    s = QMCSampler(seed=3)
    h = _history([_complete(0, {}, SPACE, **{"sampler:qmc_seed": 12345})])
    prop = s.sample_joint(h, _running(4), SPACE)
    assert prop.state == {"qmc_seed": 12345}
    u = s.point(4, 3, qmc_seed=12345)
    assert prop.params == {n: d.from_unit(x) for (n, d), x in zip(SPACE.items(), u)}


# -- in a study --------------------------------------------------------------------------------
@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_study_trials_follow_the_sequence(qmc_type: str) -> None:
    sampler = QMCSampler(qmc_type, seed=0)
    study = hs.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=20)
    first, rest = study.trials[0], study.trials[1:]
    assert "sampler:qmc_seed" not in first.system_attrs  # no complete trial yet: random
    for t in rest:
        u = sampler.point(t.number, 3)
        expected = {n: d.from_unit(x) for (n, d), x in zip(SPACE.items(), u)}
        assert dict(t.params) == {k: expected[k] for k in t.params}


def test_same_seed_same_trials_and_a_different_seed_differs() -> None:
    def run(seed: int) -> list[dict]:
        study = hs.create_study(sampler=QMCSampler(seed=seed))
        study.optimize(_objective, n_trials=10)
        return [dict(t.params) for t in study.trials]

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_conditional_params_are_random_and_stay_in_range() -> None:
    def objective(trial: hs.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if x > 0.5:
            return trial.suggest_int("deep", 10, 20)
        return x

    study = hs.create_study(sampler=QMCSampler(seed=0))
    study.optimize(objective, n_trials=24)
    deep = [t.params["deep"] for t in study.trials if "deep" in t.params]
    assert deep and all(10 <= d <= 20 for d in deep)
    assert all(("deep" in t.params) == (t.params["x"] > 0.5) for t in study.trials)


def test_n_jobs_2_points_depend_only_on_the_trial_number() -> None:
    sampler = QMCSampler(seed=0)
    study = hs.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
                   n_trials=16, n_jobs=2)
    assert len(study.trials) == 16
    joint = [t for t in study.trials if "sampler:qmc_seed" in t.system_attrs]
    assert len(joint) >= 8
    for t in joint:
        u = sampler.point(t.number, 2)
        assert (t.params["x"], t.params["y"]) == (u[0], u[1])


def test_scipy_is_imported_lazily() -> None:
    # no module-level import of scipy in the sampler's module
    tree = ast.parse(pathlib.Path(qmc_module.__file__).read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert not any(name.split(".")[0] == "scipy" for name in names)


def test_repr() -> None:
    assert repr(QMCSampler("halton", scramble=False, seed=4)) == (
        "QMCSampler(qmc_type='halton', scramble=False, seed=4)"
    )
