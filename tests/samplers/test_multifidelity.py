"""MultiFidelityTPESampler: budget-level choice, pruned trials inform it, errors."""

from __future__ import annotations

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers.multifidelity import MultiFidelityTPESampler
from hyperscout.trial import FrozenTrial, TrialState

X = hs.Float(0.0, 1.0)


def t(number, x, curve, state=TrialState.PRUNED):
    iv = {s: v for s, v in curve.items()}
    values = [iv[max(iv)]] if state is TrialState.COMPLETE else None
    return FrozenTrial.build(number=number, trial_id=number, state=state, values=values,
                             params={"x": x}, distributions={"x": X}, intermediate_values=iv)


def test_level_is_the_highest_budget_enough_trials_reached() -> None:
    lasts = [9, 9, 3, 3, 3, 1, 1, 1]
    fin = [t(i, 0.5, {s: 1.0 for s in range(1, last + 1)}) for i, last in enumerate(lasts)]
    h = History(["minimize"], fin, len(fin), [])
    assert MultiFidelityTPESampler(min_points_in_model=2).level(h) == 9
    assert MultiFidelityTPESampler(min_points_in_model=3).level(h) == 3   # 3rd largest last
    assert MultiFidelityTPESampler(min_points_in_model=6).level(h) == 1
    assert MultiFidelityTPESampler(min_points_in_model=9).level(h) is None
    # with budgets, the level snaps down to a budget: 4th largest last step is 3 -> budget 2
    assert MultiFidelityTPESampler(min_points_in_model=4, budgets=[2, 8]).level(h) == 2
    assert MultiFidelityTPESampler(min_points_in_model=2, budgets=[2, 8]).level(h) == 8
    # running trials count too (not the asking one)
    run = [t(20, 0.5, {s: 1.0 for s in range(1, 10)}, TrialState.RUNNING)]
    h2 = History(["minimize"], fin, len(fin), run)
    assert MultiFidelityTPESampler(min_points_in_model=3).level(h2) == 9
    assert MultiFidelityTPESampler(min_points_in_model=3).level(h2, exclude=20) == 3


def test_pruned_trials_steer_the_model() -> None:
    # 40 trials pruned after step 1, with loss (x - 0.8)^2 there; only 2 complete, at x ~ 0.1.
    rng = np.random.default_rng(0)
    fin = [t(i, float(x), {1: float((x - 0.8) ** 2)}) for i, x in enumerate(rng.random(40))]
    fin += [t(40, 0.1, {1: 0.5, 9: 0.4}, TrialState.COMPLETE),
            t(41, 0.12, {1: 0.5, 9: 0.41}, TrialState.COMPLETE)]
    h = History(["minimize"], fin, len(fin), [])
    s = MultiFidelityTPESampler(seed=0, random_fraction=0.0)
    xs = []
    for n in range(20):
        p = s.sample_joint(h, FrozenTrial.build(number=100 + n, trial_id=100 + n,
                                                state=TrialState.RUNNING), s.infer_space(h))
        assert p.state == {"mf_budget": 1}  # only level 1 has >= 6 trials
        xs.append(p.params["x"])
    assert abs(np.median(xs) - 0.8) < 0.1


def test_before_enough_data_it_samples_at_random_and_is_reproducible() -> None:
    def run(seed):
        pruner = hs.pruners.ASHAPruner(min_resource=1, max_resource=27)
        study = hs.create_study(sampler=MultiFidelityTPESampler(seed=seed, budgets=[1, 3, 9, 27]),
                                pruner=pruner)

        def objective(trial):
            x = trial.suggest_float("x", -3, 3)
            y = trial.suggest_categorical("y", ["a", "b"])
            for step in range(1, 28):
                trial.report((x - 1) ** 2 + (y == "b") + 1 / step, step)
                if trial.should_prune():
                    raise hs.TrialPruned()
            return (x - 1) ** 2 + (y == "b")

        study.optimize(objective, n_trials=40)
        return study

    a, b = run(0), run(0)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert "sampler:mf_budget" not in a.trials[0].system_attrs  # random at first
    budgets = [t.system_attrs.get("sampler:mf_budget") for t in a.trials[20:]]
    assert any(bg is not None for bg in budgets)
    assert a.best_value < 0.3
    assert len(a.get_trials(["pruned"])) > 10


@pytest.mark.parametrize(
    "kwargs, match",
    [({"budgets": []}, "budgets="), ({"budgets": [1, -2]}, "budgets="),
     ({"min_points_in_model": 1}, "min_points_in_model=1"), ({"gamma": 1.0}, "gamma=1.0"),
     ({"n_ei_candidates": 0}, "n_ei_candidates=0"), ({"random_fraction": 1.5},
                                                      "random_fraction=1.5"),
     ({"prior_weight": 0}, "prior_weight=0"), ({"bandwidth_factor": 0}, "bandwidth_factor=0")],
)
def test_errors(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        MultiFidelityTPESampler(**kwargs)


def test_complete_trials_final_values_are_the_top_level_beyond_budgets() -> None:
    # 3 complete trials trained to step 52 (final value = their step-52 report), 3 pruned at 27
    # with better values there; budgets stop at 27, as the rungs of a 52-epoch Hyperband do.
    done = [t(i, x, {1: 0.9, 27: 0.5, 52: v}, TrialState.COMPLETE)
            for i, (x, v) in enumerate([(0.1, 0.30), (0.2, 0.20), (0.3, 0.25)])]
    pruned = [t(3 + i, x, {1: 0.9, 27: v}) for i, (x, v) in enumerate([(0.7, 0.1), (0.8, 0.1),
                                                                        (0.9, 0.1)])]
    h = History(["minimize"], done + pruned, 6, [])
    s = MultiFidelityTPESampler(min_points_in_model=3, budgets=[1, 3, 9, 27])
    assert s.level(h) == float("inf")          # 3 trials have a final value: model those
    assert MultiFidelityTPESampler(min_points_in_model=4, budgets=[1, 3, 9, 27]).level(h) == 27
    assert MultiFidelityTPESampler(min_points_in_model=3).level(h) == float("inf")
    # at the final level only the complete trials count, best first: x=0.2 (0.20), 0.3, 0.1
    p = MultiFidelityTPESampler(seed=0, min_points_in_model=3, budgets=[1, 27], gamma=0.3,
                                random_fraction=0.0)
    prop = p.sample_joint(h, FrozenTrial.build(number=9, trial_id=9, state=TrialState.RUNNING),
                          p.infer_space(h))
    assert prop.state == {"mf_budget": "final"}
    # a complete trial that stopped reporting at step 20 counts at budget 27 with its final value
    from hyperscout.samplers.multifidelity import _Obs

    o = _Obs(t(0, 0.5, {1: 0.9, 20: 0.4}, TrialState.COMPLETE), 1.0)
    assert o.steps == [1, 20, float("inf")] and o.value_at(27) == 0.4 and o.value_at(20) == 0.4
    assert _Obs(pruned[0], 1.0).value_at(52) is None  # a pruned trial never reached 52


# -- MultiFidelityGPSampler: one GP over the parameters and the budget --------------------------

def _reversal_history(n_low=30, n_full=8, seed=0):
    """Loss ``x`` at budget 1 (small x looks best early) and ``1 - x`` at the full budget 9
    (large x ends best): 30 configurations stopped at 1, 8 trained to the end."""
    rng = np.random.default_rng(seed)
    low = [t(i, float(x), {1: float(x)}) for i, x in enumerate(rng.random(n_low))]
    full = [t(n_low + i, float(x), {1: float(x), 3: 0.5, 9: float(1 - x)},
              TrialState.COMPLETE) for i, x in enumerate(np.linspace(0.05, 0.95, n_full))]
    fin = low + full
    return History(["minimize"], fin, len(fin), [])


def test_gp_learns_that_early_ranks_reverse_and_proposes_where_the_full_budget_is_best() -> None:
    from hyperscout.samplers.multifidelity import MultiFidelityGPSampler

    h = _reversal_history()
    s = MultiFidelityGPSampler(seed=0, budgets=[1, 3, 9], random_fraction=0.0)
    assert s.predict_final([{"x": 0.5}]) is None  # no model before the first proposal
    xs = []
    for n in range(6):
        p = s.sample_joint(h, FrozenTrial.build(number=100 + n, trial_id=100 + n,
                                                state=TrialState.RUNNING), s.infer_space(h))
        assert p.state == {"mf_budget": "joint", "mf_proposal": dict(p.params)}
        xs.append(p.params["x"])
    assert min(xs) > 0.7  # the full-budget optimum is at x = 1, the budget-1 one at x = 0
    pred = s.predict_final([{"x": 0.1}, {"x": 0.5}, {"x": 0.9}])
    assert pred[2] < pred[1] < pred[0]
    assert s.predict_final([{"y": 0.1}]) is None  # a configuration without the model's params


def test_gp_parallel_asks_spread_over_configurations_other_workers_were_given() -> None:
    # noisy reports (the model fits a large noise term): before the Kriging believer the next
    # ask landed within 1e-4 of a configuration another worker had just been given. (A 4th ask
    # may come back near the first: three believed points cover this 1-d optimum, whose
    # lengthscale is 0.7, and EI there follows the mean's slope.)
    from hyperscout.samplers.gp.sampler import SAMPLER_STATE_PREFIX
    from hyperscout.samplers.multifidelity import MultiFidelityGPSampler

    rng = np.random.default_rng(3)
    fin = []
    for i, x in enumerate(rng.random(24)):
        curve = {b: float((x - 0.6) ** 2 + 0.3 / b + 0.05 * rng.normal()) for b in (1, 3, 9)}
        fin.append(t(i, float(x), curve, TrialState.COMPLETE))
    s = MultiFidelityGPSampler(seed=0, budgets=[1, 3, 9], random_fraction=0.0)
    running: list[FrozenTrial] = []
    xs = []
    for n in range(3):
        h = History(["minimize"], fin, len(fin), running)
        trial = FrozenTrial.build(number=100 + n, trial_id=100 + n, state=TrialState.RUNNING)
        p = s.sample_joint(h, trial, {"x": X})
        xs.append(p.params["x"])
        # given to a worker that has not asked for its parameter yet: only the stored proposal
        running.append(FrozenTrial.build(
            number=100 + n, trial_id=100 + n, state=TrialState.RUNNING,
            system_attrs={SAMPLER_STATE_PREFIX + k: v for k, v in p.state.items()}))
    gaps = np.diff(np.sort(xs))
    assert gaps.min() > 0.01, xs
    # the same three asks with nothing running all land on one point
    lone = MultiFidelityGPSampler(seed=0, budgets=[1, 3, 9], random_fraction=0.0)
    h = History(["minimize"], fin, len(fin), [])
    same = [lone.sample_joint(h, FrozenTrial.build(number=100 + n, trial_id=100 + n,
                                                   state=TrialState.RUNNING), {"x": X}).params["x"]
            for n in range(3)]
    assert np.ptp(same) < 0.01, same


def test_gp_starts_at_random_and_is_reproducible() -> None:
    from hyperscout.samplers.multifidelity import MultiFidelityGPSampler

    def run(seed):
        base = MultiFidelityGPSampler(seed=seed, budgets=[1, 3])
        promo = hs.samplers.PromotionASHASampler(base, min_resource=1, max_resource=9,
                                                 rank_by_model=True)
        study = hs.create_study(sampler=promo, pruner=promo.pruner,
                                artifact_store=hs.artifacts.InMemoryArtifactStore())

        def objective(trial):
            x = trial.suggest_float("x", 0.0, 1.0)
            ckpt = trial.load_checkpoint()
            for step in range(int(ckpt or 0) + 1, 10):
                trial.report((x - 0.7) ** 2 + 1.0 / step, step)
                if trial.should_prune():
                    trial.save_checkpoint(str(step).encode())
                    raise hs.TrialPruned()
            return (x - 0.7) ** 2

        study.optimize(objective, n_trials=30)
        return study

    a, b = run(3), run(3)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert "sampler:mf_budget" not in a.trials[0].system_attrs  # random at first
    assert any(t.system_attrs.get("sampler:mf_budget") == "joint" for t in a.trials)
    assert any(t.state is TrialState.COMPLETE for t in a.trials)


@pytest.mark.parametrize(
    "kwargs, match",
    [({}, r"budgets=None\): give the rung steps as ints >= 1"),
     ({"budgets": [0, 3]}, r"budgets=\[0, 3\]\): give the rung steps"),
     ({"budgets": [1, 3], "max_points": 4}, r"max_points=4\): give an int >= 8"),
     ({"budgets": [1, 3], "random_fraction": -0.1}, "random_fraction=-0.1")],
)
def test_gp_errors(kwargs, match) -> None:
    from hyperscout.samplers.multifidelity import MultiFidelityGPSampler

    with pytest.raises(ValueError, match=match):
        MultiFidelityGPSampler(**kwargs)


def test_gp_with_only_nan_reports_samples_at_random_and_nan_counts_as_worst() -> None:
    from hyperscout.samplers.multifidelity import MultiFidelityGPSampler

    nan = float("nan")
    fin = [t(i, float(x), {1: nan}) for i, x in enumerate(np.linspace(0, 1, 10))]
    s = MultiFidelityGPSampler(seed=0, budgets=[1, 3], random_fraction=0.0)
    ask = FrozenTrial.build(number=20, trial_id=20, state=TrialState.RUNNING)
    h = History(["minimize"], fin, len(fin), [])
    assert s.sample_joint(h, ask, s.infer_space(h)).params == {}  # random: nothing to model
    # once some reports are finite, the nan ones count as the worst and the GP proposes
    fin += [t(10 + i, float(x), {1: float((x - 0.3) ** 2)})
            for i, x in enumerate(np.linspace(0.05, 0.95, 10))]
    h = History(["minimize"], fin, len(fin), [])
    p = s.sample_joint(h, ask, s.infer_space(h))
    assert p.state["mf_budget"] == "joint" and 0.0 <= p.params["x"] <= 1.0
