"""TPESampler end to end: it beats random search, handles every space, and is parallel-safe."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers.tpe import TPESampler
from hyperscout.trial import FrozenTrial, TrialState

SEEDS = range(5)


@pytest.fixture(autouse=True)
def _quiet():
    hs.set_verbosity("warning")


def sphere5(t) -> float:
    return sum(t.suggest_float(f"x{i}", -5.0, 5.0) ** 2 for i in range(5))


def branin(t) -> float:
    x1 = t.suggest_float("x1", -5.0, 10.0)
    x2 = t.suggest_float("x2", 0.0, 15.0)
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    value = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10
    return value - 0.397887  # optimum 0


def mixed(t) -> float:
    """A practitioner's space: log float, log int, int, stepped float, categorical, float."""
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = t.suggest_int("units", 8, 512, log=True)
    depth = t.suggest_int("depth", 1, 12)
    dropout = t.suggest_float("dropout", 0.0, 0.5, step=0.05)
    act = t.suggest_categorical("act", ["relu", "tanh", "gelu", "sigmoid", "elu"])
    wd = t.suggest_float("wd", -4.0, 4.0)
    return ((math.log10(lr) + 2.5) ** 2 + 0.25 * (math.log2(units) - math.log2(96)) ** 2
            + ((depth - 7) / 3) ** 2 + (4 * (dropout - 0.15)) ** 2
            + {"relu": 0.3, "tanh": 0.6, "gelu": 0.0, "sigmoid": 1.0, "elu": 0.4}[act]
            + 0.2 * (wd - 1.0) ** 2 + 0.3 * (math.log10(lr) + 2.5) * (wd - 1.0))


def conditional(t) -> float:
    opt = t.suggest_categorical("optimizer", ["sgd", "adam"])
    lr = t.suggest_float("lr", 1e-5, 1.0, log=True)
    if opt == "sgd":
        momentum = t.suggest_float("momentum", 0.0, 0.99)
        return (math.log10(lr) + 1.5) ** 2 + 4 * (momentum - 0.9) ** 2
    beta = t.suggest_float("beta2", 0.9, 0.9999, log=True)
    return (math.log10(lr) + 3.3) ** 2 + 1000 * (beta - 0.99) ** 2


def _best(sampler, func, n_trials, direction="minimize") -> float:
    study = hs.create_study(sampler=sampler, direction=direction)
    study.optimize(func, n_trials=n_trials)
    return study.best_value


# -- beats random search ------------------------------------------------------------------------
@pytest.mark.parametrize("func", [sphere5, branin, mixed])
def test_tpe_beats_random_search(func):
    tpe = [_best(TPESampler(seed=s), func, 50) for s in SEEDS]
    rnd = [_best(hs.samplers.RandomSampler(seed=s), func, 50) for s in SEEDS]
    # random search's mean is 5x-10x TPE's here; 3x apart and 4 of 5 seeds cannot be luck
    assert np.mean(tpe) * 3 < np.mean(rnd), (tpe, rnd)
    assert sum(a < b for a, b in zip(tpe, rnd)) >= 4, (tpe, rnd)


def test_univariate_tpe_beats_random_search():
    tpe = [_best(TPESampler(seed=s, multivariate=False), sphere5, 50) for s in SEEDS]
    rnd = [_best(hs.samplers.RandomSampler(seed=s), sphere5, 50) for s in SEEDS]
    assert np.mean(tpe) * 2 < np.mean(rnd), (tpe, rnd)


def test_tpe_maximizes():
    def neg(t):
        return -sphere5(t)

    tpe = [_best(TPESampler(seed=s), neg, 50, "maximize") for s in range(3)]
    rnd = [_best(hs.samplers.RandomSampler(seed=s), neg, 50, "maximize") for s in range(3)]
    assert np.mean(tpe) > 0.25 * np.mean(rnd)  # both negative: TPE's is 4x closer to 0


# -- spaces ----------------------------------------------------------------------------------------
def test_suggestions_stay_on_their_grids_and_bounds():
    study = hs.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(mixed, n_trials=40)
    for t in study.trials:
        assert 8 <= t.params["units"] <= 512 and isinstance(t.params["units"], int)
        assert 1 <= t.params["depth"] <= 12 and isinstance(t.params["depth"], int)
        assert 1e-5 <= t.params["lr"] <= 1e-1
        assert t.params["act"] in ("relu", "tanh", "gelu", "sigmoid", "elu")
        k = t.params["dropout"] / 0.05
        assert 0 <= t.params["dropout"] <= 0.5 and k == pytest.approx(round(k))


def test_conditional_parameters_exist_only_under_their_condition():
    sampler = TPESampler(seed=1, n_startup_trials=8)
    study = hs.create_study(sampler=sampler)
    study.optimize(conditional, n_trials=60)
    for t in study.trials:
        assert ("momentum" in t.params) == (t.params["optimizer"] == "sgd")
        assert ("beta2" in t.params) == (t.params["optimizer"] == "adam")
    # each branch is modelled on its own trials: both groups are in the joint space
    space = sampler.infer_space(study._history())
    assert set(space) == {"optimizer", "lr", "momentum", "beta2"}
    assert study.best_value < 0.05


def test_without_groups_only_the_common_parameters_are_joint():
    sampler = TPESampler(seed=0, n_startup_trials=5, group=False)
    study = hs.create_study(sampler=sampler)
    study.optimize(conditional, n_trials=30)
    assert set(sampler.infer_space(study._history())) == {"optimizer", "lr"}
    for t in study.trials:
        assert ("momentum" in t.params) == (t.params["optimizer"] == "sgd")


def test_single_valued_and_changed_distributions():
    study = hs.create_study(sampler=TPESampler(seed=0, n_startup_trials=3))

    def objective(t):
        hi = 5 if t.number < 10 else 3  # the range of "x" changes half way
        x = t.suggest_float("x", 0.0, hi)
        fixed = t.suggest_int("fixed", 7, 7)
        only = t.suggest_categorical("only", ["z"])
        return (x - 1) ** 2 + fixed + len(only)

    study.optimize(objective, n_trials=20)
    for t in study.trials:
        assert t.params["fixed"] == 7 and t.params["only"] == "z"
        assert 0 <= t.params["x"] <= (5 if t.number < 10 else 3)


def test_new_parameter_appearing_late_is_sampled():
    study = hs.create_study(sampler=TPESampler(seed=0, n_startup_trials=3))

    def objective(t):
        x = t.suggest_float("x", -1, 1)
        if t.number >= 12:
            return x**2 + t.suggest_int("late", 0, 9)
        return x**2

    study.optimize(objective, n_trials=25)
    assert all("late" in t.params for t in study.trials[12:])


# -- startup, reproducibility ----------------------------------------------------------------------
def test_startup_trials_are_random_and_then_the_model_is_used():
    sampler = TPESampler(seed=0, n_startup_trials=7)
    study = hs.create_study(sampler=sampler)
    study.optimize(sphere5, n_trials=6)
    assert sampler.infer_space(study._history()) == {}
    study.optimize(sphere5, n_trials=1)
    assert set(sampler.infer_space(study._history())) == {f"x{i}" for i in range(5)}


def _params_sequence(seed, n=35, **kwargs):
    study = hs.create_study(sampler=TPESampler(seed=seed, n_startup_trials=5, **kwargs))
    study.optimize(mixed, n_trials=n)
    return [dict(t.params) for t in study.trials]


def test_same_seed_same_suggestions():
    assert _params_sequence(3) == _params_sequence(3)
    assert _params_sequence(3, multivariate=False) == _params_sequence(3, multivariate=False)
    assert _params_sequence(3) != _params_sequence(4)


def test_reseed_through_create_study():
    a = hs.create_study(sampler=TPESampler(), seed=11)
    b = hs.create_study(sampler=TPESampler(), seed=11)
    a.optimize(branin, n_trials=20)
    b.optimize(branin, n_trials=20)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_one_sampler_moved_to_another_study_starts_over():
    sampler = TPESampler(seed=0, n_startup_trials=3)
    first = hs.create_study(sampler=sampler)
    first.optimize(branin, n_trials=15)
    second = hs.create_study(sampler=sampler)
    second.optimize(sphere5, n_trials=2)
    assert sampler.infer_space(second._history()) == {}  # nothing of the first study is reused
    second.optimize(sphere5, n_trials=10)
    assert set(sampler.infer_space(second._history())) == {f"x{i}" for i in range(5)}


# -- parallel: constant liar -----------------------------------------------------------------------
SPACE = {"x": hs.Float(-5.0, 5.0), "y": hs.Float(-5.0, 5.0)}


def _study_with_history(constant_liar: bool, seed: int = 0):
    study = hs.create_study(sampler=TPESampler(seed=seed, constant_liar=constant_liar))
    for _ in range(20):
        t = study.ask(SPACE)
        study.tell(t, (t.params["x"] - 1) ** 2 + (t.params["y"] + 2) ** 2)
    return study


def test_parallel_asks_give_distinct_proposals():
    study = _study_with_history(True)
    pending = [study.ask(SPACE) for _ in range(4)]
    points = {(t.params["x"], t.params["y"]) for t in pending}
    assert len(points) == 4
    xs = np.array(sorted(points))
    gaps = np.linalg.norm(xs[:, None] - xs[None], axis=2)[np.triu_indices(4, 1)]
    assert gaps.min() > 1e-3


def test_constant_liar_counts_running_trials_as_bad():
    study = _study_with_history(True)
    running = study.ask(SPACE)
    history = study._history()
    sampler = study.sampler
    probe = FrozenTrial.build(number=10_000, trial_id=10_000, state=TrialState.RUNNING)
    rec = sampler._sync(history)
    point = sampler._space(SPACE)[2].encode([running.params])
    _, g_with, _ = sampler._fit(rec, history, probe, SPACE)
    sampler._constant_liar = False
    _, g_without, _ = sampler._fit(rec, history, probe, SPACE)
    # the running trial's point becomes more likely under the bad-group density
    assert g_with.n_kernels == g_without.n_kernels + 1
    assert g_with.log_pdf(point)[0] > g_without.log_pdf(point)[0]
    # the trial being sampled is never a lie against itself
    me = FrozenTrial.build(number=running.number, trial_id=0, state=TrialState.RUNNING)
    sampler._constant_liar = True
    _, g_self, _ = sampler._fit(rec, history, me, SPACE)
    assert g_self.n_kernels == g_without.n_kernels


def test_constant_liar_running_trials_count_towards_startup():
    """Batch of asks after 8 finished trials, n_startup_trials=10: the first two asks are
    random (8 and 9 observations), the third sees 8 finished + 2 running lies and uses the
    model; without the liar all asks stay random."""
    for liar, expected in ((True, [False, False, True, True]), (False, [False] * 4)):
        sampler = TPESampler(seed=0, n_startup_trials=10, constant_liar=liar)
        study = hs.create_study(sampler=sampler)
        for _ in range(8):
            t = study.ask(SPACE)
            study.tell(t, t.params["x"] ** 2)
        used = []
        for _ in range(4):
            calls = []
            real = sampler._propose
            sampler._propose = lambda *a, _c=calls, _r=real: _c.append(1) or _r(*a)
            study.ask(SPACE)
            sampler._propose = real
            used.append(bool(calls))
        assert used == expected, liar


def test_optimize_with_threads():
    study = hs.create_study(sampler=TPESampler(seed=0))
    study.optimize(branin, n_trials=40, n_jobs=4)
    assert len(study.trials) == 40
    assert len({(t.params["x1"], t.params["x2"]) for t in study.trials}) == 40


# -- pruned, failed, multi-objective ---------------------------------------------------------------
def test_pruned_trials_rank_after_complete_ones_and_failed_are_ignored():
    def objective(t):
        x = t.suggest_float("x", -3.0, 3.0)
        if t.number % 5 == 3:
            raise ValueError("boom")
        for step in range(3):
            t.report(x**2 + 1 / (step + 1), step)
            if t.number % 4 == 1 and step == 1:
                raise hs.TrialPruned()
        return x**2

    sampler = TPESampler(seed=0)
    study = hs.create_study(sampler=sampler)
    study.optimize(objective, n_trials=60, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states and TrialState.FAIL in states
    rec = sampler._sync(study._history())
    assert rec.n == sum(s in (TrialState.COMPLETE, TrialState.PRUNED) for s in states)
    assert set(rec.last_step[~rec.complete]) == {1}
    assert study.best_value < 0.05


def test_pruned_only_history_is_modelled():
    study = hs.create_study(sampler=TPESampler(seed=0, n_startup_trials=4))
    for i in range(8):
        t = study.ask(SPACE)
        t.report(abs(t.params["x"]), step=i % 3)
        study.tell(t, state="pruned")
    trial = study.ask(SPACE)
    assert set(trial.params) == {"x", "y"}


def _hypervolume_2d(points: np.ndarray, ref: np.ndarray) -> float:
    pts = points[np.all(points < ref, axis=1)]
    if not len(pts):
        return 0.0
    pts = pts[np.argsort(pts[:, 0])]
    hv, best_y = 0.0, ref[1]
    for x, y in pts:
        if y < best_y:
            hv += (ref[0] - x) * (best_y - y)
            best_y = y
    return hv


def test_multi_objective_beats_random_search_in_hypervolume():
    def objective(t):
        x = np.array([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)])
        g = 1 + 9 * np.mean(x[1:])
        f1 = x[0]
        return f1, g * (1 - math.sqrt(f1 / g))  # ZDT1 in 3-d

    ref = np.array([1.1, 11.0])

    def hv(sampler) -> float:
        study = hs.create_study(sampler=sampler, directions=["minimize", "minimize"])
        study.optimize(objective, n_trials=60)
        return _hypervolume_2d(np.array([t.values for t in study.trials]), ref)

    tpe = [hv(TPESampler(seed=s)) for s in range(4)]
    rnd = [hv(hs.samplers.RandomSampler(seed=s)) for s in range(4)]
    assert np.mean(tpe) > np.mean(rnd) + 0.5, (tpe, rnd)
    assert sum(a > b for a, b in zip(tpe, rnd)) >= 3


# -- a hand-made history ---------------------------------------------------------------------------
def test_sampler_works_on_a_hand_made_history():
    dist = hs.Float(0.0, 1.0)
    finished = [
        FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE, params={"x": i / 20},
                          distributions={"x": dist}, values=[abs(i / 20 - 0.3)])
        for i in range(20)
    ]
    history = History(["minimize"], finished, len(finished), [])
    sampler = TPESampler(seed=0)
    me = FrozenTrial.build(number=20, trial_id=20, state=TrialState.RUNNING)
    assert sampler.infer_space(history) == {"x": dist}
    xs = [sampler.sample_joint(history, me, {"x": dist}).params["x"] for _ in range(30)]
    assert abs(np.median(xs) - 0.3) < 0.1
    assert 0.0 <= min(xs) and max(xs) <= 1.0


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials=-1"),
        ({"n_startup_trials": 2.5}, "n_startup_trials=2.5"),
        ({"n_ei_candidates": 0}, "n_ei_candidates=0"),
        ({"prior_weight": 0.0}, "prior_weight=0.0"),
        ({"prior_weight": float("nan")}, "prior_weight=nan"),
        ({"bandwidth": "silverman"}, "bandwidth='silverman'"),
    ],
)
def test_invalid_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TPESampler(**kwargs)


def test_invalid_callables():
    with pytest.raises(TypeError, match="gamma=3"):
        TPESampler(gamma=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="weights"):
        TPESampler(weights="old")  # type: ignore[arg-type]
    sampler = TPESampler(seed=0, n_startup_trials=2, weights=lambda n: -np.ones(n))
    study = hs.create_study(sampler=sampler)
    study.optimize(branin, n_trials=2)
    with pytest.raises(ValueError, match="weights"):
        study.optimize(branin, n_trials=1)


def test_custom_gamma_and_weights_are_used():
    calls = []

    def gamma(n):
        calls.append(n)
        return 3

    sampler = TPESampler(seed=0, n_startup_trials=5, gamma=gamma, weights=None)
    study = hs.create_study(sampler=sampler)
    study.optimize(branin, n_trials=12)
    assert calls == list(range(5, 12))
    assert "TPESampler(seed=0" in repr(sampler)
