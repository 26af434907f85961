"""AutoSampler's multi-objective rule."""

from __future__ import annotations

from collections import Counter

import pytest

import hyperscout as hs
from hyperscout.samplers import AutoSampler


def _objective(m: int):
    def f(t):
        xs = [t.suggest_float(f"x{i}", 0, 1) for i in range(3)]
        return tuple(xs[i % 3] + 0.1 * sum(xs) for i in range(m))

    return f


@pytest.mark.parametrize("m, late", [(2, "nsga2"), (3, "nsga3")])
def test_parego_first_then_nsga(m: int, late: str) -> None:
    study = hs.create_study(directions=["minimize"] * m,
                            sampler=AutoSampler(seed=0, mo_gp_max_trials=12))
    study.sampler._samplers["parego"].n_candidates = 64  # keep the test fast
    study.optimize(_objective(m), n_trials=20)
    chosen = [t.system_attrs.get("sampler:auto") for t in study.trials]
    assert set(chosen[1:12]) == {"parego"}
    assert set(chosen[12:]) == {late}


def test_conditional_multi_objective_space_uses_tpe() -> None:
    def f(t):
        kind = t.suggest_categorical("kind", ["a", "b"])
        x = t.suggest_float("xa" if kind == "a" else "xb", 0, 1)
        return x, 1 - x

    study = hs.create_study(directions=["minimize", "minimize"], sampler=AutoSampler(seed=0))
    study.optimize(f, n_trials=25)
    assert study.sampler.choose(study._history()) == "tpe"
    # once both branches have been seen, every trial goes to TPE (which records its choice
    # once past its 10 start-up trials)
    later = [t.system_attrs.get("sampler:auto") for t in study.trials[12:]]
    assert Counter(later) == {"tpe": 13}


def test_large_space_skips_the_gp() -> None:
    study = hs.create_study(directions=["minimize", "minimize"],
                            sampler=AutoSampler(seed=0, gp_max_dims=2))
    study.optimize(_objective(2), n_trials=3)
    h = study._history()
    assert study.sampler.choose(h) == "nsga2"


def test_the_default_study_sampler_is_auto_for_several_objectives() -> None:
    study = hs.create_study(directions=["minimize", "minimize"], seed=0)
    assert isinstance(study.sampler, AutoSampler)


def test_bad_mo_gp_max_trials() -> None:
    with pytest.raises(ValueError, match=r"AutoSampler\(mo_gp_max_trials=-1\)"):
        AutoSampler(mo_gp_max_trials=-1)
