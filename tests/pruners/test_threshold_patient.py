"""ThresholdPruner and PatientPruner: hand-computed decisions and errors."""

from __future__ import annotations

import pytest

from hyperscout.pruners import Decision, MedianPruner, NopPruner, PatientPruner, ThresholdPruner

from ._helpers import R, hist, tr

PRUNE, GO = Decision.PRUNE, Decision.CONTINUE


def test_threshold_bounds_nan_warmup_interval() -> None:
    pr = ThresholdPruner(lower=0.1, upper=2.0)
    assert pr.decide(None, tr(0, [1.0], R)) is GO
    assert pr.decide(None, tr(0, [0.05], R)) is PRUNE
    assert pr.decide(None, tr(0, [2.5], R)) is PRUNE
    assert pr.decide(None, tr(0, [2.0], R)) is GO  # bounds are inclusive
    assert pr.decide(None, tr(0, [float("nan")], R)) is PRUNE
    assert ThresholdPruner(upper=1.0, n_warmup_steps=2).decide(None, tr(0, [5.0, 5.0], R)) is GO
    assert ThresholdPruner(upper=1.0, interval_steps=2).decide(None, tr(0, [5.0, 5.0], R)) is GO
    assert ThresholdPruner(upper=1.0, interval_steps=2).decide(None, tr(0, [5.0] * 3, R)) is PRUNE
    assert not ThresholdPruner.needs_history


@pytest.mark.parametrize(
    "kwargs, match",
    [({}, "give lower, upper or both"), ({"lower": 2, "upper": 1}, "lower must be <= upper"),
     ({"lower": float("nan")}, "lower=nan"), ({"upper": 1, "n_warmup_steps": -1},
                                               "n_warmup_steps=-1")],
)
def test_threshold_errors(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        ThresholdPruner(**kwargs)


def test_patient_stagnation_hand_computed() -> None:
    h = hist([])
    curve = [1.0, 0.5, 0.6, 0.55]  # best 0.5 at step 1, then no improvement for 2 reports
    assert PatientPruner(None, patience=2).decide(h, tr(0, curve, R)) is PRUNE
    assert PatientPruner(None, patience=3).decide(h, tr(0, curve, R)) is GO  # 1.0 -> 0.5 in window
    assert PatientPruner(None, patience=4).decide(h, tr(0, curve, R)) is GO  # too few reports
    # min_delta: 0.45 beats 0.5 by 0.05 -> an improvement only if min_delta < 0.05
    c2 = [1.0, 0.5, 0.45]
    assert PatientPruner(None, patience=1, min_delta=0.04).decide(h, tr(0, c2, R)) is GO
    assert PatientPruner(None, patience=1, min_delta=0.06).decide(h, tr(0, c2, R)) is PRUNE
    # maximize: rising is improving
    hm = hist([], direction="maximize")
    assert PatientPruner(None, patience=1).decide(hm, tr(0, [0.1, 0.2], R)) is GO
    assert PatientPruner(None, patience=1).decide(hm, tr(0, [0.2, 0.1], R)) is PRUNE
    # nan never improves
    assert PatientPruner(None, patience=1).decide(h, tr(0, [1.0, float("nan")], R)) is PRUNE


def test_patient_asks_the_wrapped_pruner_only_when_stagnating() -> None:
    h = hist([tr(0, [0.1, 0.1, 0.1]), tr(1, [0.2, 0.2, 0.2])])
    median = MedianPruner(n_startup_trials=0)
    stagnating_bad = tr(2, [5.0, 5.0, 5.0], R)
    improving_bad = tr(2, [7.0, 6.0, 5.0], R)
    assert PatientPruner(median, patience=1).decide(h, stagnating_bad) is PRUNE
    assert PatientPruner(median, patience=1).decide(h, improving_bad) is GO
    assert PatientPruner(NopPruner(), patience=1).decide(h, stagnating_bad) is GO
    assert PatientPruner(median, patience=1).needs_history
    assert not PatientPruner(None, patience=1).needs_history


def test_patient_errors() -> None:
    with pytest.raises(ValueError, match="patience=0"):
        PatientPruner(None, patience=0)
    with pytest.raises(ValueError, match="min_delta=-1"):
        PatientPruner(None, patience=1, min_delta=-1)
    with pytest.raises(TypeError, match="must be a Pruner"):
        PatientPruner("median", patience=1)  # type: ignore[arg-type]
