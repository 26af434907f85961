"""GPSampler end to end: beats random search, batches, reproducibility, spaces, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers.gp import GPSampler
from hyperscout.samplers.gp.sampler import pending_params, subsample
from hyperscout.space import Categorical, Float, Int
from hyperscout.trial import FrozenTrial, TrialState


@pytest.fixture(autouse=True)
def _quiet() -> None:
    hs.set_verbosity("warning")


def branin(t: hs.Trial) -> float:
    """Branin minus its optimum (regret)."""
    x1 = t.suggest_float("x1", -5.0, 10.0)
    x2 = t.suggest_float("x2", 0.0, 15.0)
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return ((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1)
            + 10 - 0.397887357729738)


def sphere5(t: hs.Trial) -> float:
    return sum((t.suggest_float(f"x{i}", -5.0, 5.0) - 1.0) ** 2 for i in range(5))


_CAT = {"a": 2.0, "b": 0.0, "c": 1.0, "d": 3.0}


def mixed(t: hs.Trial) -> float:
    x = t.suggest_float("x", -3.0, 3.0)
    k = t.suggest_int("k", 0, 20)
    c = t.suggest_categorical("c", list(_CAT))
    return (x - 1.0) ** 2 + ((k - 13) / 4) ** 2 + _CAT[c]


def _best(sampler: hs.samplers.Sampler, func, n: int) -> float:  # noqa: ANN001
    study = hs.create_study(sampler=sampler)
    study.optimize(func, n_trials=n)
    return study.best_value


@pytest.mark.parametrize(("func", "n_trials"), [(branin, 30), (sphere5, 30), (mixed, 30)])
def test_beats_random_search_by_a_wide_margin(func, n_trials: int) -> None:  # noqa: ANN001
    gp = [_best(GPSampler(seed=s), func, n_trials) for s in range(3)]
    rnd = [_best(hs.samplers.RandomSampler(seed=s), func, n_trials) for s in range(3)]
    # the GP's worst seed is 5x better than random search's best seed (all values >= 0)
    assert max(gp) < 0.2 * min(rnd), (gp, rnd)


def test_maximize_direction() -> None:
    study = hs.create_study(direction="maximize", sampler=GPSampler(seed=0))
    study.optimize(lambda t: -branin(t), n_trials=25)
    assert study.best_value > -0.1


def _space() -> dict:
    return {"x": Float(-5.0, 5.0), "y": Float(1e-3, 1.0, log=True), "k": Int(1, 9),
            "c": Categorical(["u", "v", "w"])}


def test_parallel_asks_get_distinct_points() -> None:
    study = hs.create_study(sampler=GPSampler(seed=0, n_startup_trials=6))
    space = _space()
    for _ in range(8):
        t = study.ask(space)
        study.tell(t, (t.params["x"] - 1) ** 2 + t.params["k"] / 9)
    pending = [study.ask(space) for _ in range(4)]  # no tell in between: 4 workers
    points = [tuple(sorted(t.params.items())) for t in pending]
    assert len(set(points)) == 4
    xs = np.array([[t.params["x"] / 10, math.log10(t.params["y"]) / 3, t.params["k"] / 8]
                   for t in pending])
    dists = np.linalg.norm(xs[:, None] - xs[None], axis=-1)[np.triu_indices(4, 1)]
    assert dists.min() > 1e-3
    # startup asks (Sobol by trial number) are distinct too
    fresh = hs.create_study(sampler=GPSampler(seed=0))
    fresh.tell(fresh.ask(space), 1.0)
    starts = [tuple(sorted(fresh.ask(space).params.items())) for _ in range(4)]
    assert len(set(starts)) == 4


def test_optimize_with_threads_runs_and_stays_valid() -> None:
    study = hs.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(mixed, n_trials=12, n_jobs=3)
    assert len(study.trials) == 12
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    # 8 threads on an instant objective: a running trial often has only its first parameter
    # yet; its stored proposal still makes it a fantasy, so no point is proposed twice
    study = hs.create_study(sampler=GPSampler(seed=0))
    study.optimize(branin, n_trials=40, n_jobs=8)
    points = [tuple(t.params.values()) for t in study.trials]
    assert len(set(points)) == len(points)


def test_running_trial_point_comes_from_params_and_stored_proposal() -> None:
    space = {"x1": Float(-5.0, 10.0), "x2": Float(0.0, 15.0)}
    proposal = {"x1": 1.5, "x2": 7.0}
    half = FrozenTrial.build(number=3, trial_id=3, state=TrialState.RUNNING,
                             params={"x1": 1.5}, distributions={"x1": space["x1"]},
                             system_attrs={"sampler:gp_proposal": proposal})
    assert pending_params(half, space) == proposal
    bare = FrozenTrial.build(number=4, trial_id=4, state=TrialState.RUNNING,
                             params={"x1": 1.5}, distributions={"x1": space["x1"]})
    assert pending_params(bare, space) is None
    outside = FrozenTrial.build(number=5, trial_id=5, state=TrialState.RUNNING,
                                system_attrs={"sampler:gp_proposal": {"x1": 99.0, "x2": 1.0}})
    assert pending_params(outside, space) is None
    # what the sampler hands back carries the proposal as JSON-able state
    study = hs.create_study(sampler=GPSampler(seed=0, n_startup_trials=2))
    for _ in range(3):
        t = study.ask(space)
        study.tell(t, t.params["x1"] ** 2)
    stored = study.trials[-1].system_attrs["sampler:gp_proposal"]
    assert stored == dict(study.trials[-1].params)


def _params_sequence(seed: int) -> list[dict]:
    study = hs.create_study(sampler=GPSampler(seed=seed, n_startup_trials=5))
    study.optimize(mixed, n_trials=12)
    return [dict(t.params) for t in study.trials]


def test_seeded_runs_are_reproducible() -> None:
    a, b = _params_sequence(3), _params_sequence(3)
    assert a == b
    assert _params_sequence(4) != a
    # reseed restarts the stream (and forgets fitted state)
    sampler = GPSampler(seed=9, n_startup_trials=5)
    study = hs.create_study(sampler=sampler, seed=3)
    study.optimize(mixed, n_trials=12)
    assert [dict(t.params) for t in study.trials] == a


def test_conditional_parameters_fall_back_to_random() -> None:
    def objective(t: hs.Trial) -> float:
        kind = t.suggest_categorical("kind", ["lin", "rbf"])
        c = t.suggest_float("c", 1e-3, 1e3, log=True)
        v = (math.log10(c) - 1) ** 2
        if kind == "rbf":
            g = t.suggest_float("gamma", 1e-4, 1.0, log=True)
            v += (math.log10(g) + 2) ** 2
        else:
            v += 1.0
        return v

    sampler = GPSampler(seed=0, n_startup_trials=5)
    study = hs.create_study(sampler=sampler)
    study.optimize(objective, n_trials=20)
    history = study._history()
    assert set(sampler.infer_space(history)) == {"kind", "c"}  # the intersection space
    gammas = [t.params["gamma"] for t in study.trials if "gamma" in t.params]
    assert gammas and all(1e-4 <= g <= 1.0 for g in gammas)
    assert study.best_value < 1.5


def test_single_value_log_int_and_categorical_only_spaces() -> None:
    def objective(t: hs.Trial) -> float:
        fixed = t.suggest_int("fixed", 3, 3)
        n = t.suggest_int("n", 1, 1000, log=True)
        c = t.suggest_categorical("c", ["p", "q", "r", "s"])
        return abs(math.log(n) - math.log(50)) + (c != "r") + fixed

    study = hs.create_study(sampler=GPSampler(seed=1, n_startup_trials=5))
    study.optimize(objective, n_trials=20)
    assert all(t.params["fixed"] == 3 for t in study.trials)
    assert study.best_params["c"] == "r" and 25 <= study.best_params["n"] <= 100

    study = hs.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(lambda t: {"a": 1.0, "b": 0.0, "c": 2.0}[t.suggest_categorical(
        "z", ["a", "b", "c"])], n_trials=6)
    assert study.best_value == 0.0


@pytest.mark.parametrize("options", [{"acquisition": "ucb"}, {"acquisition": "log_pi"},
                                     {"deterministic_objective": True}, {"warping": True}])
def test_options_run_end_to_end(options: dict) -> None:
    assert _best(GPSampler(seed=0, n_startup_trials=5, **options), branin, 15) < 5.0


def test_exploratory_steps_follow_the_probability_and_stay_valid() -> None:
    """exploration=1: every model-based suggestion is an epsilon-PF step; they are valid,
    distinct from the observed points, and the run is reproducible."""
    def run(exploration: float) -> list[dict]:
        study = hs.create_study(sampler=GPSampler(seed=3, n_startup_trials=5,
                                                  exploration=exploration))
        study.optimize(lambda t: (t.suggest_float("x", -2, 2) ** 2
                                  + (t.suggest_int("n", 0, 9) - 4) ** 2), n_trials=14)
        return [t.params for t in study.trials]

    explored = run(1.0)
    assert explored == run(1.0)
    assert explored != run(0.0)  # the model-based trials differ, the start-up ones do not
    assert explored[:5] == run(0.0)[:5]
    points = [(p["x"], p["n"]) for p in explored]
    assert len(set(points)) == len(points)
    assert all(-2 <= x <= 2 and n in range(10) for x, n in points)


def test_multi_objective_is_not_implemented() -> None:
    study = hs.create_study(directions=["minimize", "maximize"], sampler=GPSampler(seed=0))
    with pytest.raises(NotImplementedError, match="GPSampler models one objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_startup_trials": 0}, "n_startup_trials=0"),
     ({"acquisition": "ei"}, "acquisition='ei'"),
     ({"ucb_beta": -1.0}, "ucb_beta=-1.0"),
     ({"max_points": 4}, "max_points=4"),
     ({"max_points": 50, "max_fit_points": 100}, "max_fit_points=100"),
     ({"n_starts": 0}, "n_starts=0"),
     ({"exploration": 1.5}, "exploration=1.5"),
     ({"exploration": True}, "exploration=True"),
     ({"lengthscale_prior": "gamma"}, "lengthscale_prior='gamma'")],
)
def test_invalid_arguments_name_the_parameter(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GPSampler(**kwargs)


def test_history_cap_keeps_best_latest_and_random() -> None:
    z = np.arange(100.0)[::-1]  # the last trial is the best
    order = np.arange(100)
    idx = subsample(z, order, 40, np.random.default_rng(0))
    assert len(idx) == 40 and len(set(idx.tolist())) == 40
    best10 = set(np.argsort(z)[:10].tolist())
    assert best10 <= set(idx.tolist())
    np.testing.assert_array_equal(subsample(z[:30], order[:30], 40, np.random.default_rng(0)),
                                  np.arange(30))


def test_capped_history_still_suggests() -> None:
    rng = np.random.default_rng(0)
    trials = []
    for i in range(60):
        x = float(rng.uniform(-5, 5))
        trials.append(FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE,
                                        params={"x": x}, distributions={"x": Float(-5, 5)},
                                        values=[(x - 2) ** 2]))
    sampler = GPSampler(seed=0, max_points=24, max_fit_points=12)
    history = History(["minimize"], trials, len(trials), [])
    space = sampler.infer_space(history)
    nxt = FrozenTrial.build(number=60, trial_id=60, state=TrialState.RUNNING)
    x = sampler.sample_joint(history, nxt, space).params["x"]
    assert abs(x - 2) < 1.0


def test_noisy_objective_learns_its_noise_and_still_finds_the_basin() -> None:
    rng = np.random.default_rng(0)

    def noisy(t: hs.Trial) -> float:
        x, y = t.suggest_float("x", -2.0, 2.0), t.suggest_float("y", -2.0, 2.0)
        return (x - 0.5) ** 2 + (y + 0.5) ** 2 + float(rng.normal(0.0, 0.1))

    sampler = GPSampler(seed=0)
    study = hs.create_study(sampler=sampler)
    study.optimize(noisy, n_trials=30)
    (cache,) = sampler._spaces.values()
    assert float(np.exp(cache.last_fit[-1])) > 1e-3  # the noise term is learned, not floored
    p = study.best_params
    assert (p["x"] - 0.5) ** 2 + (p["y"] + 0.5) ** 2 < 0.1


def test_heavy_tailed_objective() -> None:
    """Values spanning 8 orders of magnitude: the output transform keeps the basin visible."""
    def objective(t: hs.Trial) -> float:
        x, y = t.suggest_float("x", 0.0, 1.0), t.suggest_float("y", 0.0, 1.0)
        return 10 ** (20 * ((x - 0.3) ** 2 + (y - 0.7) ** 2)) - 1.0

    gp = [_best(GPSampler(seed=s), objective, 25) for s in range(3)]
    rnd = [_best(hs.samplers.RandomSampler(seed=s), objective, 25) for s in range(3)]
    assert max(gp) < 0.2 * min(rnd), (gp, rnd)


def test_lengthscale_prior_option_reaches_the_fit() -> None:
    from hyperscout.samplers.gp.likelihood import Priors

    assert GPSampler()._priors == Priors()  # the log-normal by default
    assert GPSampler(lengthscale_prior="inverse-square")._priors == Priors(ls_rate=0.1)

    def f(t: hs.Trial) -> float:
        x, y = t.suggest_float("x", 0.0, 1.0), t.suggest_float("y", 0.0, 1.0)
        return float(np.floor(10 * x)) / 10 + (y - 0.3) ** 2

    fits, params = {}, {}
    for prior in ("log-normal", "inverse-square"):
        sampler = GPSampler(seed=0, n_startup_trials=8, lengthscale_prior=prior)
        study = hs.create_study(sampler=sampler)
        study.optimize(f, n_trials=20)
        (cache,) = sampler._spaces.values()
        fits[prior] = cache.last_fit
        params[prior] = [t.params for t in study.trials]
    assert params["log-normal"][:8] == params["inverse-square"][:8]  # the same Sobol start
    assert not np.allclose(fits["log-normal"], fits["inverse-square"])  # different fits
