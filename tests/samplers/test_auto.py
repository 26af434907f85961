"""AutoSampler's single-objective rule, its GP/TPE share and its inner samplers' options."""

from __future__ import annotations

from collections import Counter

import pytest

import hyperscout as hs
from hyperscout.samplers import AutoSampler


def _quadratic(t: hs.Trial) -> float:
    return (t.suggest_float("x", -5, 5) - 1) ** 2 + (t.suggest_float("y", -5, 5) + 2) ** 2


def _fast(sampler: AutoSampler) -> AutoSampler:
    sampler._samplers["gp"].n_candidates = 64  # keep the tests fast
    sampler._samplers["gp"].n_starts = 1
    return sampler


def _choices(study: hs.Study) -> list[str | None]:
    return [t.system_attrs.get("sampler:auto") for t in study.trials]


def test_gp_alone_by_default() -> None:
    sampler = _fast(AutoSampler(seed=0))
    study = hs.create_study(sampler=sampler)
    study.optimize(lambda t: _quadratic(t) + 5.0 * (t.number % 2), n_trials=14)
    assert sampler._samplers["gp"].last_noise_ratio > 1e-2  # noisy, but no share is given
    assert set(_choices(study)[1:]) == {"gp"}


def test_gp_alone_on_a_smooth_deterministic_objective() -> None:
    sampler = _fast(AutoSampler(seed=0, tpe_share=0.5))
    study = hs.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=16)
    # trial 0 samples its parameters one at a time (no space known yet): no joint choice
    assert _choices(study)[0] is None
    # the GP fits the quadratic with no noise, so TPE never gets its share
    assert sampler._samplers["gp"].last_noise_ratio < 1e-4
    assert set(_choices(study)[1:]) == {"gp"}


def test_tpe_gets_its_share_on_a_noisy_objective() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    sampler = _fast(AutoSampler(seed=0, tpe_share=0.5))

    def noisy(t: hs.Trial) -> float:
        return _quadratic(t) + 5.0 * float(rng.normal())

    study = hs.create_study(sampler=sampler)
    study.optimize(noisy, n_trials=16)
    assert sampler._samplers["gp"].last_noise_ratio > 1e-3  # the gate's default
    assert _choices(study)[10:] == ["gp", "tpe"] * 3


def test_gp_alone_with_share_zero() -> None:
    sampler = _fast(AutoSampler(seed=0, tpe_share=0.0))
    study = hs.create_study(sampler=sampler)
    study.optimize(lambda t: _quadratic(t) + t.number % 3, n_trials=14)
    assert set(_choices(study)[1:]) == {"gp"}


@pytest.mark.parametrize("share, expected_tpe", [(0.5, 3), (1 / 3, 2), (1.0, 5)])
def test_tpe_share_interleaves_tpe_after_the_gp_start_up(share: float, expected_tpe: int) -> None:
    sampler = _fast(AutoSampler(seed=0, tpe_share=share, tpe_min_noise_ratio=0.0))
    study = hs.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=16)
    chosen = _choices(study)
    # the GP's 10 Sobol start-up trials come first whatever the share
    assert set(chosen[1:10]) == {"gp"}
    # trial i (0-based) goes to TPE when floor(i * share) steps up: for 0.5 that is every
    # odd-numbered trial (11, 13, 15), for 1/3 trials 12 and 15, for 1.0 all of 11..15 (trial
    # 10 is the GP's whatever the share: TPE's turns start once the GP has fitted once)
    assert Counter(chosen[10:])["tpe"] == expected_tpe
    if share == 0.5:
        assert chosen[10:] == ["gp", "tpe"] * 3


def test_tpe_share_keeps_seeded_runs_reproducible() -> None:
    def run() -> list[dict]:
        study = hs.create_study(sampler=_fast(AutoSampler(seed=3, tpe_share=0.5,
                                                          tpe_min_noise_ratio=0.0)))
        study.optimize(_quadratic, n_trials=14)
        return [t.params for t in study.trials]

    assert run() == run()


def test_tpe_share_counts_running_trials_so_a_batch_is_split() -> None:
    sampler = _fast(AutoSampler(seed=0, tpe_share=0.5, tpe_min_noise_ratio=0.0))
    study = hs.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=11)  # the GP has fitted once (trial 10)
    batch = [study.ask() for _ in range(4)]
    for t in batch:
        t.suggest_float("x", -5, 5)
        t.suggest_float("y", -5, 5)
    chosen = [t.system_attrs.get("sampler:auto") for t in batch]
    assert Counter(chosen) == {"gp": 2, "tpe": 2}


def test_gp_options_reach_the_gp() -> None:
    sampler = AutoSampler(seed=0, gp_options={"lengthscale_prior": "inverse-square",
                                              "n_startup_trials": 4},
                          tpe_options={"n_startup_trials": 3})
    assert sampler._samplers["gp"].lengthscale_prior == "inverse-square"
    assert sampler._samplers["gp"].n_startup_trials == 4
    assert sampler._samplers["tpe"]._n_startup == 3
    sampler.reseed(1)  # reseeding rebuilds the inner samplers with the same options
    assert sampler._samplers["gp"].lengthscale_prior == "inverse-square"


@pytest.mark.parametrize("share", [-0.1, 1.5, True, "half"])
def test_bad_tpe_share_names_the_parameter(share: object) -> None:
    with pytest.raises(ValueError, match=r"AutoSampler\(tpe_share="):
        AutoSampler(tpe_share=share)  # type: ignore[arg-type]


@pytest.mark.parametrize("ratio", [-1e-3, float("nan"), None])
def test_bad_tpe_min_noise_ratio_names_the_parameter(ratio: object) -> None:
    with pytest.raises(ValueError, match=r"AutoSampler\(tpe_min_noise_ratio="):
        AutoSampler(tpe_min_noise_ratio=ratio)  # type: ignore[arg-type]


def test_bad_inner_option_names_the_inner_parameter() -> None:
    with pytest.raises(ValueError, match=r"GPSampler\(lengthscale_prior='flat'\)"):
        AutoSampler(gp_options={"lengthscale_prior": "flat"})
    with pytest.raises(TypeError, match="no_such_option"):
        AutoSampler(tpe_options={"no_such_option": 1})
    with pytest.raises(ValueError, match=r"AutoSampler\(gp_options=\{'seed'"):
        AutoSampler(gp_options={"seed": 1})
