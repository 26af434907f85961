"""TransferSampler end to end: identical, overlapping and disjoint spaces, weights, seeds."""

from __future__ import annotations

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.history import History
from hyperscout.samplers import RandomSampler, TPESampler
from hyperscout.transfer import TransferSampler, as_prior


def _quad(shift):
    def f(t):
        x, y = t.suggest_float("x", -5, 5), t.suggest_float("y", -5, 5)
        return (x - shift[0]) ** 2 + (y - shift[1]) ** 2
    return f


def _prior_study(f, n=20, seed=0, **kw):
    s = hs.create_study(sampler=RandomSampler(seed=seed), **kw)
    s.optimize(f, n_trials=n)
    return s


def test_identical_space_starts_from_the_priors_best_and_uses_it() -> None:
    old = _prior_study(_quad((1.0, 2.0)), n=30)
    new = hs.create_study(seed=0, warm_start=[old])
    assert isinstance(new.sampler, TransferSampler)
    new.optimize(_quad((1.2, 2.1)), n_trials=12)
    assert new.trials[0].params == old.best_params
    design = [t.params for t in new.trials[:5]]
    assert len({tuple(sorted(p.items())) for p in design}) == 5
    # after the design, the model runs with the prior's weight recorded
    states = [t.system_attrs.get("sampler:transfer") for t in new.trials[5:]]
    assert any(s and "weights" in s for s in states)
    assert new.best_value < 1.0


def test_overlapping_space_clips_carries_and_draws_new_parameters() -> None:
    def old_f(t):
        x = t.suggest_float("x", 0, 20)
        k = t.suggest_categorical("k", ["gone", "a", "b"])
        t.suggest_float("removed", 0, 1)
        return (x - 15) ** 2 + (0 if k == "gone" else 1)

    old = _prior_study(old_f, n=25)

    def new_f(t):
        x = t.suggest_float("x", 0, 10)  # narrower: the old optimum 15 is outside
        k = t.suggest_categorical("k", ["a", "b", "new"])  # "gone" removed, "new" added
        z = t.suggest_int("z", 1, 4)  # new parameter
        return (x - 9) ** 2 + (k == "new") + z

    new = hs.create_study(seed=1, warm_start=[old])
    new.optimize(new_f, n_trials=10)
    first = new.trials[0].params
    assert first["x"] == 10.0  # clipped into the new range
    assert first["k"] in ("a", "b", "new") and 1 <= first["z"] <= 4
    assert all("removed" not in t.params for t in new.trials)
    assert all(0 <= t.params["x"] <= 10 for t in new.trials)


def test_disjoint_space_falls_back_to_the_base_sampler() -> None:
    old = _prior_study(_quad((1.0, 2.0)), n=10)

    def other(t):
        return t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1)

    new = hs.create_study(seed=2, warm_start=[old])
    new.optimize(other, n_trials=8)
    assert len(new.trials) == 8
    sampler = new.sampler
    assert isinstance(sampler, TransferSampler)
    hist = new._history()
    w = sampler.weights(hist)
    assert w is not None and w[:-1].sum() == 0.0  # nothing carries over: no prior weight
    assert all("weights" not in (t.system_attrs.get("sampler:transfer") or {})
               for t in new.trials[5:])


def _history_of(trials):
    done = [t for t in trials if t.state is hs.TrialState.COMPLETE]
    return History(("minimize",), done, len(done), [])


@pytest.mark.parametrize("kind", ["gp", "tpe"])
def test_unrelated_prior_weight_shrinks_as_trials_accrue(kind) -> None:
    related = _prior_study(_quad((1.0, 2.0)), n=40, seed=3, name="related")
    unrelated = _prior_study(_quad((-4.5, -4.5)), n=40, seed=4, name="unrelated")
    # the current task: the related one shifted a little; trials drawn at random, so the
    # evidence is unbiased
    cur = _prior_study(_quad((1.2, 1.8)), n=40, seed=5)
    sampler = TransferSampler([as_prior(related), as_prior(unrelated)], seed=0, model=kind)
    ws = [sampler.weights(_history_of(cur.trials[:n])) for n in (4, 10, 40)]
    assert all(abs(w.sum() - 1) < 1e-9 for w in ws)
    assert ws[-1][1] == 0.0  # the unrelated prior
    assert ws[-1][1] <= ws[0][1]
    # the related prior carries the early trials; on this easy task the current study's own
    # model ranks its 40 results better than any prior, so it may then take all the weight
    assert ws[0][0] > 0.5 and ws[1][0] > ws[1][1]


def test_seeded_runs_are_reproducible() -> None:
    old = _prior_study(_quad((1.0, 2.0)), n=15)

    def run(seed):
        s = hs.create_study(seed=seed, warm_start=[old])
        s.optimize(_quad((1.5, 2.5)), n_trials=9)
        return [t.params for t in s.trials]

    assert run(7) == run(7)


def test_tpe_path_handles_a_conditional_space() -> None:
    def f(t):
        kind = t.suggest_categorical("kind", ["lin", "rbf"])
        c = t.suggest_float("c", 1e-3, 1e3, log=True)
        if kind == "rbf":
            g = t.suggest_float("g", 1e-3, 1.0, log=True)
            return abs(np.log10(c) - 1) + abs(np.log10(g) + 1)
        return abs(np.log10(c)) + 0.5

    old = _prior_study(f, n=30, seed=6)
    base = TPESampler(seed=0, n_startup_trials=5)
    sampler = TransferSampler([as_prior(old)], base=base, seed=0, n_initial=3)
    new = hs.create_study(sampler=sampler)
    new.optimize(f, n_trials=15)
    models = {(t.system_attrs.get("sampler:transfer") or {}).get("model") for t in new.trials}
    assert "tpe" in models
    assert new.best_value < 1.0


def test_bad_arguments_name_the_parameter() -> None:
    p = as_prior(_prior_study(_quad((0, 0)), n=3))
    with pytest.raises(TypeError, match="is not a PriorStudy"):
        TransferSampler(["old"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="base=1"):
        TransferSampler([p], base=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model='rf'"):
        TransferSampler([p], model="rf")
    with pytest.raises(ValueError, match="n_initial=-1"):
        TransferSampler([p], n_initial=-1)
    with pytest.raises(ValueError, match="min_prior_weight=1.5"):
        TransferSampler([p], min_prior_weight=1.5)
    with pytest.raises(ValueError, match="local_steps=-1"):
        TransferSampler([p], local_steps=-1)


def test_local_outcomes_count_model_steps_only_against_the_best_so_far() -> None:
    from hyperscout.space import Float
    from hyperscout.transfer.sampler import local_outcomes
    from hyperscout.trial import FrozenTrial

    def mk(i, v, step=None):
        attrs = {} if step is None else {"sampler:transfer": {"model": "gp-local", "step": step}}
        return FrozenTrial.build(number=i, trial_id=i, state=hs.TrialState.COMPLETE,
                                 params={"x": 0.1 * i}, distributions={"x": Float(0, 1)},
                                 values=[v], system_attrs=attrs)

    trials = [mk(0, 5.0), mk(1, 4.0, "model"), mk(2, 3.0, "stencil"), mk(3, 3.5, "model"),
              mk(4, 2.0, "model"), mk(5, 2.0, "model")]
    assert local_outcomes(_history_of(trials)) == [True, False, True, False]
    more = [*trials, mk(6, 6.0, "model")]
    maxi = History(("maximize",), more, len(more), [])
    assert local_outcomes(maxi) == [False, False, False, False, True]


def test_warm_study_refines_around_its_incumbent_on_the_gp_path() -> None:
    old = _prior_study(_quad((1.0, 2.0)), n=30, seed=1)
    study = hs.create_study(seed=0, warm_start=[old])
    study.optimize(_quad((1.3, 1.8)), n_trials=20)
    steps = [(t.system_attrs.get("sampler:transfer") or {}) for t in study.trials[5:]]
    assert sum(s.get("model") == "gp-local" for s in steps) >= 10
    assert {s.get("step") for s in steps if s.get("model") == "gp-local"} <= {"stencil", "model"}
    assert study.best_value < 1e-2  # the shifted optimum, not the prior's (0.13 away)
