"""GridSampler: exhaustive, seeded order, no duplicates with threads, stops the study."""

from __future__ import annotations

import itertools
import time
import warnings

import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers import GridSampler
from hyperscout.space import Categorical, Float, Int
from hyperscout.study.study import Study
from hyperscout.trial import FrozenTrial, TrialState

GRID = {"x": [0, 1, 2], "act": ["relu", "gelu"], "flag": [True, False]}
N_POINTS = 12


def _objective(trial: hs.Trial) -> float:
    x = trial.suggest_int("x", 0, 2)
    act = trial.suggest_categorical("act", ["relu", "gelu"])
    flag = trial.suggest_categorical("flag", [True, False])
    return x + (act == "gelu") + 0.5 * flag


def _points(study: hs.Study) -> list[tuple]:
    return [(t.params["x"], t.params["act"], t.params["flag"]) for t in study.trials]


def _study(sampler: GridSampler) -> hs.Study:
    return hs.create_study(sampler=sampler)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def _trial(number: int, state: TrialState, params: dict | None = None, **system) -> FrozenTrial:
    return FrozenTrial.build(number=number, trial_id=number, state=state, params=params,
                             system_attrs=system or None,
                             values=[0.0] if state is TrialState.COMPLETE else None)


def _history(finished=(), running=()) -> History:
    finished = list(finished)
    return History(["minimize"], finished, len(finished), list(running))


# -- exhaustive search -------------------------------------------------------------------------
def test_every_point_once_and_the_study_stops() -> None:
    study = _study(GridSampler(GRID, seed=0))
    study.optimize(_objective)  # no n_trials: the grid ends it
    pts = _points(study)
    assert len(pts) == N_POINTS
    assert set(pts) == set(itertools.product(*GRID.values()))
    assert study.best_params == {"x": 0, "act": "relu", "flag": False}


def test_a_larger_budget_stops_at_the_grid_size() -> None:
    study = _study(GridSampler({"x": [1.0, 2.0]}, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 3), n_trials=50)
    assert len(study.trials) == 2


def test_resumed_study_runs_only_the_points_left() -> None:
    sampler = GridSampler(GRID, seed=1)
    study = _study(sampler)
    study.optimize(_objective, n_trials=5)
    assert len(study.trials) == 5
    study.optimize(_objective)
    assert len(study.trials) == N_POINTS
    assert len(set(_points(study))) == N_POINTS
    study.optimize(_objective)  # nothing left
    assert len(study.trials) == N_POINTS


def test_failed_and_pruned_trials_hold_their_point() -> None:
    calls = []

    def objective(trial: hs.Trial) -> float:
        x = trial.suggest_int("x", 0, 3)
        calls.append(x)
        if x == 1:
            raise hs.TrialPruned()
        if x == 2:
            return float("nan")  # FAIL
        return x

    study = _study(GridSampler({"x": [0, 1, 2, 3]}, seed=0))
    study.optimize(objective)
    assert sorted(calls) == [0, 1, 2, 3]
    states = {t.params["x"]: t.state for t in study.trials}
    assert states[1] is TrialState.PRUNED and states[2] is TrialState.FAIL


def test_grid_id_is_stored_and_names_the_point() -> None:
    sampler = GridSampler(GRID, seed=0)
    study = _study(sampler)
    study.optimize(_objective, n_trials=4)
    for t in study.trials:
        gid = t.system_attrs["sampler:grid_id"]
        assert sampler.point(gid) == dict(t.params)


def test_seed_fixes_the_order() -> None:
    def run(seed: int) -> list[tuple]:
        study = _study(GridSampler(GRID, seed=seed))
        study.optimize(_objective)
        return _points(study)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_create_study_seed_reseeds_the_order() -> None:
    def run(seed: int) -> list[tuple]:
        study = hs.create_study(sampler=GridSampler(GRID, seed=99), seed=seed)
        study.optimize(_objective)
        return _points(study)

    assert run(5) == run(5) != run(6)


# -- threads -----------------------------------------------------------------------------------
@pytest.mark.parametrize("rep", range(3))
def test_n_jobs_2_without_duplicates_and_stops(rep: int) -> None:
    study = _study(GridSampler(GRID, seed=rep))
    study.optimize(_objective, n_jobs=2)
    pts = _points(study)
    assert len(pts) == N_POINTS == len(set(pts))
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_n_jobs_no_duplicates_when_trial_starts_are_slow(monkeypatch) -> None:
    # widens the window between "is the grid exhausted?" and "start a trial": the study must
    # check and start in one step, or two threads both start a trial for the last point
    start = Study._start_trial

    def slow_start(self: Study):
        time.sleep(0.002)
        return start(self)

    monkeypatch.setattr(Study, "_start_trial", slow_start)
    for seed in range(4):
        study = _study(GridSampler({"x": [0, 1, 2], "y": [0, 1]}, seed=seed))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a repeated point would warn
            study.optimize(lambda t: t.suggest_int("x", 0, 2) + t.suggest_int("y", 0, 1),
                           n_jobs=3)
        pts = [(t.params["x"], t.params["y"]) for t in study.trials]
        assert len(pts) == 6 == len(set(pts))


# -- value types -------------------------------------------------------------------------------
def test_values_come_in_the_distribution_type() -> None:
    study = _study(GridSampler({"lr": [1, 0.5], "n": [2.0], "opt": [None, "sgd"]}, seed=0))
    study.optimize(lambda t: t.suggest_float("lr", 0, 1) + t.suggest_int("n", 1, 4)
                   + (t.suggest_categorical("opt", [None, "sgd"]) is None))
    assert len(study.trials) == 4
    for t in study.trials:
        assert type(t.params["lr"]) is float and type(t.params["n"]) is int
    assert {t.params["opt"] for t in study.trials} == {None, "sgd"}


def test_a_changed_distribution_still_gets_the_trials_point() -> None:
    # trial 0 suggests x from Float(0, 1); later trials from Float(-1, 2): the joint proposal
    # was made for the old distribution, so sample_one answers from the same grid point
    sampler = GridSampler({"x": [0.0, 0.5, 1.0], "y": [0, 1]}, seed=0)
    study = _study(sampler)

    def objective(trial: hs.Trial) -> float:
        lo = 0 if trial.number == 0 else -1
        return trial.suggest_float("x", lo, 2) + trial.suggest_int("y", 0, 1)

    study.optimize(objective)
    assert len(study.trials) == 6
    for t in study.trials:
        assert sampler.point(t.system_attrs["sampler:grid_id"]) == dict(t.params)


def test_ask_with_a_space() -> None:
    study = _study(GridSampler({"x": [0.25, 0.75]}, seed=0))
    seen = set()
    for _ in range(2):
        trial = study.ask({"x": Float(0, 1)})
        seen.add(trial.params["x"])
        study.tell(trial, trial.params["x"])
    assert seen == {0.25, 0.75}
    with pytest.warns(RuntimeWarning, match="taken"):  # past the grid: a repeat, with a warning
        trial = study.ask({"x": Float(0, 1)})
    assert trial.params["x"] in seen


# -- enqueued trials ---------------------------------------------------------------------------
def test_an_enqueued_grid_point_is_not_repeated() -> None:
    study = _study(GridSampler(GRID, seed=0))
    study.enqueue_trial({"x": 2, "act": "gelu", "flag": True})
    study.optimize(_objective)
    pts = _points(study)
    assert pts[0] == (2, "gelu", True)
    assert len(pts) == N_POINTS == len(set(pts))


def test_partly_enqueued_values_pick_a_point_that_agrees() -> None:
    sampler = GridSampler(GRID, seed=0)
    study = _study(sampler)
    study.enqueue_trial({"act": "gelu"})
    study.optimize(_objective)
    first = study.trials[0]
    assert first.params["act"] == "gelu"
    assert sampler.point(first.system_attrs["sampler:grid_id"]) == dict(first.params)
    assert len(set(_points(study))) == N_POINTS == len(study.trials)


# -- errors ------------------------------------------------------------------------------------
def test_a_parameter_outside_the_grid_is_an_error() -> None:
    study = _study(GridSampler({"x": [0, 1]}, seed=0))

    def objective(trial: hs.Trial) -> float:
        return trial.suggest_int("x", 0, 1) + trial.suggest_float("lr", 0, 1)

    with pytest.raises(ValueError, match=r"'lr'.*not in the grid"):
        study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.FAIL
    assert "'lr'" in study.trials[0].error


def test_a_grid_value_outside_the_distribution_is_an_error() -> None:
    study = _study(GridSampler({"x": [5]}, seed=0))
    with pytest.raises(ValueError, match=r"x=5 is outside .*Float"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ({}, "non-empty dict"),
        ([("x", [1])], "non-empty dict"),
        ({"x": []}, r"search_space\['x'\] is empty"),
        ({"x": "abc"}, r"search_space\['x'\]='abc' must be a list"),
        ({"x": 3}, r"search_space\['x'\]=3 must be a list"),
        ({"x": [1, 1.0]}, r"search_space\['x'\] has 1 and 1.0, the same value twice"),
        ({"x": [0.5, float("nan")]}, r"search_space\['x'\] has nan"),
        ({"x": [object]}, r"search_space\['x'\] has <class 'object'> of type type"),
        ({3: [1]}, "parameter name 3"),
    ],
)
def test_invalid_grids(space, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GridSampler(space)


def test_point_out_of_range() -> None:
    with pytest.raises(ValueError, match="grid_id=12 is outside the grid of 12 points"):
        GridSampler(GRID).point(12)


# -- the policy on hand-made histories ---------------------------------------------------------
def test_is_exhausted_counts_finished_and_running_trials() -> None:
    s = GridSampler({"x": [0, 1, 2]}, seed=0)
    done = [_trial(0, TrialState.COMPLETE, {"x": 0}),
            _trial(1, TrialState.FAIL, {"x": 1})]
    assert not s.is_exhausted(_history(done))
    assert s.is_exhausted(_history(done, [_trial(2, TrialState.RUNNING, {"x": 2})]))
    # a running trial without a point yet will take one
    assert s.is_exhausted(_history(done, [_trial(2, TrialState.RUNNING)]))
    # ... and one with only its grid id (proposed, not yet suggested)
    assert s.is_exhausted(
        _history(done, [_trial(2, TrialState.RUNNING, **{"sampler:grid_id": 2})])
    )
    pruned = _trial(2, TrialState.PRUNED, {"x": 2})
    assert s.is_exhausted(_history([*done, pruned]))


def test_sample_joint_skips_taken_points_and_prefers_number_mod_g() -> None:
    s = GridSampler({"x": [0, 1, 2, 3]}, seed=0)
    space = s.infer_space(_history())
    assert space == {"x": Categorical([0, 1, 2, 3])}  # stand-in before any suggestion
    free = s.sample_joint(_history(), _trial(5, TrialState.RUNNING), space)
    assert free.state["grid_id"] == s._perm[5 % 4]
    taken_id = free.state["grid_id"]
    busy = _history([_trial(0, TrialState.COMPLETE, {"x": s.point(taken_id)["x"]})])
    again = s.sample_joint(busy, _trial(5, TrialState.RUNNING), space)
    assert again.state["grid_id"] != taken_id
    assert again.params == s.point(again.state["grid_id"])


def test_infer_space_uses_known_distributions_that_hold_the_grid() -> None:
    s = GridSampler({"x": [0, 1], "y": [0.0, 10.0]})
    t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0],
                          params={"x": 0, "y": 0.0},
                          distributions={"x": Int(0, 3), "y": Float(0, 1)})
    space = s.infer_space(_history([t]))
    assert space["x"] == Int(0, 3)  # holds 0 and 1
    assert space["y"] == Categorical([0.0, 10.0])  # Float(0, 1) can't hold 10: stand-in


def test_repr_and_properties() -> None:
    s = GridSampler({"b": [1], "a": ["u", "v"]}, seed=2)
    assert s.search_space == {"a": ["u", "v"], "b": [1]}
    assert s.n_points == 2
    assert repr(s) == "GridSampler({'a': ['u', 'v'], 'b': [1]}, seed=2)"
