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


def test_a_seed_sequence_seeds_the_base_sampler_like_its_int() -> None:
    """A SeedSequence seed reaches the base sampler (it raised TypeError in make_child), gives
    the same suggestions as the int it was built from, and is not advanced."""
    old = _prior_study(_quad((1.0, 2.0)), n=15)

    def run(seed):
        sampler = TransferSampler([as_prior(old)], base=RandomSampler(), seed=seed)
        s = hs.create_study(sampler=sampler)
        s.optimize(_quad((1.5, 2.5)), n_trials=8)
        return [t.params for t in s.trials]

    ss = np.random.SeedSequence(11)
    assert run(ss) == run(11)
    assert ss.n_children_spawned == 0
    assert run(12) != run(11)


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
    local = [s.get("step") for s in steps if s.get("model") == "gp-local"]
    assert len(local) >= 5 and set(local) <= {"stencil", "model"}
    # the shifted optimum, not the prior's (0.13 away): with the prior's basin shape the
    # local model is exact on this quadratic after a few steps
    assert min(t.values[0] for t in study.trials[:12]) < 1e-8


def _tr(i, x, v, model=None, step=None, weights=None):
    from hyperscout.trial import FrozenTrial

    attrs = {}
    if model is not None or weights is not None:
        attrs = {"sampler:transfer": {k: a for k, a in (("model", model), ("step", step),
                                                        ("weights", weights)) if a is not None}}
    return FrozenTrial.build(number=i, trial_id=i, state=hs.TrialState.COMPLETE,
                             params={"x": x}, distributions={"x": hs.Float(0, 1)},
                             values=[v], system_attrs=attrs)


def test_local_phase_restarts_when_a_global_step_moves_the_incumbent_far() -> None:
    from hyperscout.space.codec import SpaceCodec
    from hyperscout.transfer.sampler import local_outcomes, local_phase

    codec = SpaceCodec({"x": hs.Float(0, 1)}, onehot=True)
    base = [_tr(0, 0.5, 5.0), _tr(1, 0.51, 4.0, "gp-local", "model"),
            _tr(2, 0.52, 4.5, "gp-local", "model"), _tr(3, 0.53, 4.6, "gp-local", "stencil")]
    # model outcomes, and the local steps (stencil too) in a row that did not improve
    assert local_phase(_history_of(base), codec) == ((True, False), 2)
    # a global step improving 0.01 from the incumbent: the same region, the phase goes on
    near = [*base, _tr(4, 0.52, 3.9, "gp"), _tr(5, 0.521, 3.95, "gp-local", "model")]
    assert local_phase(_history_of(near), codec) == ((True, False, False), 3)
    # one improving 0.3 away: a new region, a new phase (the step after it counts alone)
    far = [*base, _tr(4, 0.81, 3.0), _tr(5, 0.82, 2.0, "gp-local", "model")]
    assert local_phase(_history_of(far), codec) == ((True,), 0)
    # without a codec every improving global step starts a phase
    assert local_outcomes(_history_of(near)) == [False]


def test_local_steps_need_a_real_gain_and_a_phase_ends_stalled_or_converged() -> None:
    from hyperscout.space.codec import SpaceCodec
    from hyperscout.transfer._gp import TR_GAIN
    from hyperscout.transfer.sampler import local_outcomes, local_phase_active

    codec = SpaceCodec({"x": hs.Float(0, 1)}, onehot=True)  # d = 1: a stall is 4 steps
    start = [_tr(0, 0.5, 1.0), _tr(1, 0.9, 11.0)]  # values' range 10
    tiny = 1.0 - 0.5 * TR_GAIN * 10  # better, but by less than TR_GAIN of the range
    flat = [_tr(2 + i, 0.5 + 1e-4 * (i + 1), tiny - 1e-9 * i, "gp-local", "model")
            for i in range(4)]
    assert local_outcomes(_history_of([*start, *flat[:1]]), codec) == [False]
    assert local_phase_active(_history_of([*start, *flat[:3]]), codec)
    assert not local_phase_active(_history_of([*start, *flat]), codec)  # a plateau: stalled
    # failures broken by real gains never stall, but each halves the region: the eighth
    # takes it below TR_MIN (0.05 / 2**8 < 2**-12) and the phase has converged
    steps, v = [], 1.0
    for i in range(12):
        v = v - 0.5 if i % 3 == 2 else v
        steps.append(_tr(2 + i, 0.5, v + (0.0 if i % 3 == 2 else 0.1), "gp-local", "model"))
    assert local_outcomes(_history_of([*start, *steps[:3]]), codec) == [False, False, True]
    assert local_phase_active(_history_of([*start, *steps[:10]]), codec)  # 7 failures
    assert not local_phase_active(_history_of([*start, *steps[:11]]), codec)  # 8 failures


def test_recent_prior_weight_smooths_the_stored_weights() -> None:
    from hyperscout.transfer.sampler import recent_prior_weight

    w = {"a": 0.3, "b": 0.1, "<current>": 0.6}
    z = {"a": 0.0, "b": 0.0, "<current>": 1.0}
    trials = [_tr(0, 0.1, 1.0, "gp", weights=w), _tr(1, 0.2, 1.0),  # a base step: no weights
              _tr(2, 0.3, 1.0, "gp-local", "model", weights=z)]
    h = _history_of(trials)
    assert recent_prior_weight(h, np.array([0.2, 0.0, 0.8])) == pytest.approx((0.2 + 0 + 0.4) / 3)
    assert recent_prior_weight(h, None) == pytest.approx(0.2)
    assert recent_prior_weight(h, np.array([0.2, 0.0, 0.8]), k=2) == pytest.approx(0.1)
    assert recent_prior_weight(_history_of([]), None) == 0.0
