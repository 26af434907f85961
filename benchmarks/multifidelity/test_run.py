"""Tests of the multi-fidelity harness's method names.

    pytest benchmarks/multifidelity/test_run.py -q
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402
from tasks import TASKS  # noqa: E402

import hyperscout as hs  # noqa: E402


def test_grace_suffix_moves_the_first_rung_of_pruner_and_sampler() -> None:
    study, _ = run.make_study("hs-tpe+asha-r9", 0, 52)
    assert isinstance(study.sampler, hs.samplers.TPESampler)
    assert isinstance(study.pruner, hs.pruners.ASHAPruner)
    assert study.pruner.min_resource == 9
    study, _ = run.make_study("hs-bohb-r3", 0, 52)
    assert isinstance(study.pruner, hs.pruners.HyperbandPruner)
    assert study.pruner.min_resource == 3
    assert list(study.sampler.budgets) == [3, 9, 27]


def test_sampler_only_suffix_keeps_the_pruners_rungs() -> None:
    study, _ = run.make_study("hs-bohb-s9", 0, 52)
    assert study.pruner.min_resource == 1
    assert list(study.sampler.budgets) == [9, 27]
    plain, _ = run.make_study("hs-bohb", 0, 52)
    assert list(plain.sampler.budgets) == [1, 3, 9, 27]


def test_unknown_method_is_refused() -> None:
    with pytest.raises(KeyError):
        run.make_study("hs-nonsense-r3", 0, 52)
    with pytest.raises(KeyError):
        run.make_study("hs-nonsense", 0, 52)


def test_a_grace_period_never_prunes_before_its_first_rung() -> None:
    rec = run.run_one(TASKS["synthetic"](), "hs-tpe+asha-r9", 0, 300)
    assert rec["epochs"] == 300
    # every started trial ran at least 9 epochs (the last one may be cut by the budget)
    assert rec["n_trials"] <= 300 // 9 + 1


def test_learning_curve_methods_and_options() -> None:
    study, _ = run.make_study("hs-tpe+asha+lce-r9", 0, 52)
    lc = study.pruner
    assert isinstance(study.sampler, hs.samplers.TPESampler)
    assert isinstance(lc, hs.pruners.LearningCurvePruner)
    assert isinstance(lc.wrapped, hs.pruners.ASHAPruner) and lc.wrapped.min_resource == 9
    assert (lc.n_neighbors, lc.top_k, lc.max_resource) == (5, 1, 52)
    study, _ = run.make_study("hs-mf+lce-n10-k3-f10-r3", 0, 52)
    lc = study.pruner
    assert lc.wrapped is None and lc.min_resource == 3
    assert (lc.n_neighbors, lc.top_k, lc.reference_fraction) == (10, 3, 0.1)
    assert list(study.sampler.budgets) == [3, 9, 27]
    study, _ = run.make_study("hs-bohb+lce", 0, 52)
    assert isinstance(study.pruner.wrapped, hs.pruners.HyperbandPruner)


def test_promotion_methods_resume_segments_without_recounting_epochs() -> None:
    study, _ = run.make_study("hs-mf+promoq-r3", 0, 52)
    promo = study.sampler
    assert isinstance(promo, hs.samplers.PromotionASHASampler)
    assert isinstance(promo.base, hs.samplers.MultiFidelityTPESampler)
    assert promo.rungs == [3, 9, 27] and promo.quota
    assert isinstance(study.pruner, hs.pruners.SegmentPruner)
    study, _ = run.make_study("hs-tpe+promo-r9", 0, 52)
    assert isinstance(study.sampler.base, hs.samplers.TPESampler) and not study.sampler.quota
    assert not study.sampler.rank_by_model
    # the reference method: the multi-fidelity GP base, paused configurations ranked by it
    study, _ = run.make_study(run.OURS, 0, 52)
    assert isinstance(study.sampler.base, hs.samplers.MultiFidelityGPSampler)
    assert study.sampler.rank_by_model and study.sampler.quota
    assert study.sampler.base.budgets == [3, 9, 27]
    study, _ = run.make_study("hs-mfgp+promoq-r3", 0, 52)
    assert isinstance(study.sampler.base, hs.samplers.MultiFidelityGPSampler)
    assert not study.sampler.rank_by_model
    # synthetic (27 epochs), rungs 3 and 9: a new configuration costs 3 epochs, a resumed
    # segment only the epochs after its parent's pause (6, then 18), so with a third going on
    # at each rung the 300 epochs buy more segments than epochs / 3 alone would allow
    holder = {}
    make = run.make_study

    def keep(*a, **k):
        holder["study"] = make(*a, **k)
        return holder["study"]

    run.make_study = keep
    try:
        rec = run.run_one(TASKS["synthetic"](), "hs-tpe+promoq-r3", 0, 300)
    finally:
        run.make_study = make
    assert rec["epochs"] == 300
    trials = holder["study"][0].trials
    trained = sum(len(t.intermediate_values) for t in trials)
    assert trained == 300  # each epoch trained once: resumed segments start after the pause
    resumed = [t for t in trials if t.system_attrs["sampler:segment_parent"] is not None]
    assert resumed and all(min(t.intermediate_values) > 3 for t in resumed)
