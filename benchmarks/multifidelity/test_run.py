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
