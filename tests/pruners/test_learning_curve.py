"""LearningCurvePruner: hand-computed kernels, decisions, references, cost and errors."""

from __future__ import annotations

import math

import pytest

import hyperscout as hs
from hyperscout.pruners import Decision, LearningCurvePruner
from hyperscout.pruners.learning_curve import (
    curve_distance,
    kth_best,
    optimistic_prediction,
    shifted_prediction,
)

from ._helpers import P, R, hist, tr

PRUNE, GO = Decision.PRUNE, Decision.CONTINUE


def c1(*vals: float) -> dict[int, float]:
    """A curve reported at steps 1, 2, 3, ..."""
    return {i + 1: v for i, v in enumerate(vals)}


# -- kernels ---------------------------------------------------------------------------------
def test_curve_distance_hand_computed() -> None:
    assert curve_distance([1.0], [1.0]) == 0.0
    assert curve_distance([0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(25 / 2))
    assert curve_distance([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == pytest.approx(math.sqrt(2 / 3))
    with pytest.raises(ValueError, match="lengths 2 and 1"):
        curve_distance([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="same length"):
        curve_distance([], [])


def test_shifted_prediction_adds_the_references_remaining_change() -> None:
    assert shifted_prediction(0.5, 0.4, 0.1) == pytest.approx(0.2)  # ref gains 0.3 more
    assert shifted_prediction(0.5, 0.4, 0.6) == pytest.approx(0.7)  # ref gets worse by 0.2
    assert shifted_prediction(0.5, 0.5, 0.5) == 0.5


def test_optimistic_prediction_picks_the_best_of_the_nearest() -> None:
    # partial [0.5, 0.4]; distances: ref0 0, ref1 sqrt((0.01 + 0.01) / 2) = 0.1, ref2 0.5
    refs = [([0.5, 0.4], 0.3), ([0.6, 0.5], 0.1), ([1.0, 0.9], -5.0)]
    assert optimistic_prediction([0.5, 0.4], refs, 1) == pytest.approx(0.3)   # ref0 only
    # ref1: 0.4 + (0.1 - 0.5) = 0.0, better than ref0's 0.3
    assert optimistic_prediction([0.5, 0.4], refs, 2) == pytest.approx(0.0)
    # ref2: 0.4 + (-5.0 - 0.9) = -5.5
    assert optimistic_prediction([0.5, 0.4], refs, 3) == pytest.approx(-5.5)
    assert optimistic_prediction([0.5, 0.4], refs, 99) == pytest.approx(-5.5)


def test_optimistic_prediction_ties_go_to_the_earlier_reference() -> None:
    # both at distance 0.1; with one neighbour the first listed is used
    refs = [([0.6], 0.2), ([0.4], -1.0)]
    assert optimistic_prediction([0.5], refs, 1) == pytest.approx(0.5 + (0.2 - 0.6))
    refs.reverse()
    assert optimistic_prediction([0.5], refs, 1) == pytest.approx(0.5 + (-1.0 - 0.4))


def test_kernel_errors() -> None:
    with pytest.raises(ValueError, match="no references"):
        optimistic_prediction([0.5], [], 1)
    with pytest.raises(ValueError, match="n_neighbors=0"):
        optimistic_prediction([0.5], [([0.5], 0.1)], 0)
    with pytest.raises(ValueError, match="no values"):
        kth_best([], 1)
    assert kth_best([3.0, 1.0, 2.0], 1) == 1.0
    assert kth_best([3.0, 1.0, 2.0], 3) == 3.0
    assert kth_best([3.0, 1.0, 2.0], 4) == 3.0


# -- decisions -------------------------------------------------------------------------------
# minimize; max_resource 4 -> rungs 1, 3 (eta 3); finals at step 4
REFS = [tr(0, c1(0.9, 0.8, 0.5, 0.1)),   # slow starter, best final 0.1
        tr(1, c1(0.3, 0.25, 0.22, 0.2)),  # fast starter, final 0.2
        tr(2, c1(0.4, 0.35, 0.33, 0.3))]  # final 0.3


def lcp(**kw) -> LearningCurvePruner:
    base = dict(min_resource=1, max_resource=4, n_neighbors=1, top_k=1, min_reference=3)
    return LearningCurvePruner(**{**base, **kw})


def test_a_slow_starter_like_a_past_winner_survives_the_first_rung() -> None:
    h = hist(REFS)
    # 0.85 at step 1: nearest is trial 0 (0.9): 0.85 + (0.1 - 0.9) = 0.05 <= best 0.1 -> go
    assert lcp().decide(h, tr(3, c1(0.85), R)) is GO
    # 0.45 at step 1: nearest is trial 2 (0.4): 0.45 + (0.3 - 0.4) = 0.35 > 0.1 -> prune
    assert lcp().decide(h, tr(3, c1(0.45), R)) is PRUNE
    # two neighbours (trials 2, 1): best prediction 0.45 + (0.2 - 0.3) = 0.35 -> still prune
    assert lcp(n_neighbors=2).decide(h, tr(3, c1(0.45), R)) is PRUNE
    # against the 3rd-best final (0.3) instead: 0.35 > 0.3 -> prune; with margin 0.05 -> go
    assert lcp(top_k=3).decide(h, tr(3, c1(0.45), R)) is PRUNE
    assert lcp(top_k=3, margin=0.05).decide(h, tr(3, c1(0.45), R)) is GO
    # top_k 2 (0.2), three neighbours: trial 0 gives 0.45 + (0.1 - 0.9) = -0.35 -> go
    assert lcp(top_k=2, n_neighbors=3).decide(h, tr(3, c1(0.45), R)) is GO


def test_only_rungs_decide_and_the_whole_partial_curve_is_matched() -> None:
    h = hist(REFS)
    # step 2 is no rung: nothing is decided however bad the value
    assert lcp().decide(h, tr(3, c1(0.85, 9.0), R)) is GO
    # rung 3, curve (0.85, 0.8, 0.5): distances to trial 0: sqrt((0.0025 + 0 + 0) / 3) ~ 0.029,
    # the nearest; prediction 0.5 + (0.1 - 0.5) = 0.1, not worse than 0.1 -> go
    assert lcp().decide(h, tr(3, c1(0.85, 0.8, 0.5), R)) is GO
    # (0.85, 0.8, 0.6): prediction 0.6 - 0.4 = 0.2 > 0.1 -> prune
    assert lcp().decide(h, tr(3, c1(0.85, 0.8, 0.6), R)) is PRUNE
    # the final step (4 = max_resource) is never a rung
    assert lcp().decide(h, tr(3, c1(0.85, 0.8, 0.5, 9.0), R)) is GO


def test_irregular_steps_match_the_references_first_report_at_or_after() -> None:
    refs = [tr(0, {2: 0.9, 4: 0.5, 9: 0.1}), tr(1, {1: 0.3, 3: 0.25, 9: 0.2})]
    h = hist(refs)
    p = LearningCurvePruner(min_resource=1, max_resource=9, n_neighbors=1, min_reference=2)
    # a report at step 3 crosses rungs 1 and 3; matched at step 3: trial 0's 0.5 (step 4),
    # trial 1's 0.25 -> 0.45 is nearer to 0.5: 0.45 + (0.1 - 0.5) = 0.05 <= 0.1 -> go
    assert p.decide(h, tr(2, {3: 0.45}, R)) is GO
    # 0.3 is nearer to trial 1's 0.25: 0.3 + (0.2 - 0.25) = 0.25 > 0.1 -> prune
    assert p.decide(h, tr(2, {3: 0.3}, R)) is PRUNE


def test_maximize_uses_signed_values() -> None:
    refs = [tr(0, c1(0.1, 0.2, 0.5, 0.9)), tr(1, c1(0.7, 0.75, 0.78, 0.8)),
            tr(2, c1(0.6, 0.65, 0.67, 0.7))]
    h = hist(refs, direction="maximize")
    assert lcp().decide(h, tr(3, c1(0.15), R)) is GO      # like trial 0: 0.15 + 0.8 = 0.95
    assert lcp().decide(h, tr(3, c1(0.72), R)) is PRUNE   # like trial 1: 0.82 < 0.9


def test_nan_latest_report_prunes_and_earlier_nans_are_ignored() -> None:
    h = hist(REFS)
    assert lcp().decide(h, tr(3, c1(math.nan), R)) is PRUNE
    # (nan, 0.8, 0.5) is matched on steps 2 and 3 only: nearest trial 0 -> 0.1 -> go
    assert lcp().decide(h, tr(3, c1(math.nan, 0.8, 0.5), R)) is GO


def test_references_are_complete_trials_that_reached_max_resource() -> None:
    # pruned trials and complete trials stopped early are no references
    done = [*REFS[1:], tr(5, c1(0.9, 0.8), P), tr(6, c1(0.9, 0.8, 0.5))]
    h = hist(done)
    # only trials 1 and 2 are references: below min_reference 3 -> never prunes
    assert lcp().decide(h, tr(3, c1(5.0), R)) is GO
    assert lcp(min_reference=2).decide(h, tr(3, c1(5.0), R)) is PRUNE
    # no reference with nan final
    h2 = hist([*REFS[1:], tr(7, c1(0.9, 0.8, 0.5, math.nan))])
    assert lcp().decide(h2, tr(3, c1(5.0), R)) is GO


def test_auto_max_resource_waits_for_a_complete_trial() -> None:
    p = LearningCurvePruner(min_resource=1, max_resource="auto", n_neighbors=1,
                            min_reference=1)
    assert p.decide(hist([tr(0, c1(0.5, 0.4), P)]), tr(1, c1(9.0), R)) is GO
    # trial 1 complete at step 4 -> max_resource 4; the pruned trial 0 is no reference
    h = hist([tr(0, c1(0.5, 0.4), P), tr(1, c1(0.3, 0.25, 0.22, 0.2))])
    assert p.decide(h, tr(2, c1(0.35), R)) is PRUNE   # 0.35 - 0.1 = 0.25 > 0.2
    assert p.decide(h, tr(2, c1(0.25), R)) is GO      # 0.15


def test_references_grow_incrementally_without_rescanning() -> None:
    # the finished list is append-only; the feed sees only the new trials
    finished = list(REFS)
    p = lcp()
    h1 = hs.history.History(["minimize"], finished, 3, [])
    assert p.decide(h1, tr(9, c1(0.48), R)) is PRUNE
    finished.append(tr(4, c1(0.5, 0.4, 0.2, 0.05)))  # new best 0.05, a neighbour of 0.45
    h2 = hs.history.History(["minimize"], finished, 4, [])
    # nearest to 0.48: trial 4 (0.5): 0.48 + (0.05 - 0.5) = 0.03 <= 0.05 -> go
    assert p.decide(h2, tr(9, c1(0.48), R)) is GO
    assert len(p._refs) == 4
    # a history over another list starts over
    h3 = hist(REFS[1:])
    assert p.decide(h3, tr(9, c1(0.48), R)) is GO   # 2 references < min_reference
    assert len(p._refs) == 2


def test_reference_fraction_keeps_hashed_trials_unpruned() -> None:
    from hyperscout.pruners.hyperband import mix64

    p = lcp(reference_fraction=0.25, seed=7)
    keep = [n for n in range(400) if p.is_reference(n)]
    assert keep == [n for n in range(400) if mix64(7, n) < 0.25 * 2.0**64]
    assert 60 < len(keep) < 140   # about a quarter
    assert not any(lcp().is_reference(n) for n in range(400))   # fraction 0: none
    h = hist(REFS)
    kept, other = keep[0], next(n for n in range(400) if n not in keep)
    assert p.decide(h, tr(kept, c1(0.45), R)) is GO      # would be pruned (see above)
    assert p.decide(h, tr(other, c1(0.45), R)) is PRUNE


def test_wrapped_pruner_prunes_unless_the_curve_may_catch_up() -> None:
    from hyperscout.pruners import ASHAPruner

    asha = ASHAPruner(min_resource=1, max_resource=4, reduction_factor=3)
    p = lcp(wrapped=asha)
    assert p.needs_running and not lcp().needs_running
    h = hist(REFS)
    # rung-1 values 0.9, 0.3, 0.4 (+ own): n = 4, ASHA keeps only the best
    assert asha.decide(h, tr(3, c1(0.25), R)) is GO
    assert p.decide(h, tr(3, c1(0.25), R)) is GO                 # ASHA keeps it: kept
    # 0.85: ASHA prunes (0.3 is better), but it matches trial 0: 0.05 <= 0.1 -> vetoed
    assert asha.decide(h, tr(3, c1(0.85), R)) is PRUNE
    assert p.decide(h, tr(3, c1(0.85), R)) is GO
    # 0.45: ASHA prunes and the prediction 0.35 > 0.1 -> pruned
    assert p.decide(h, tr(3, c1(0.45), R)) is PRUNE
    # too few references for a prediction: ASHA's decision stands
    assert lcp(wrapped=asha, min_reference=4).decide(h, tr(3, c1(0.85), R)) is PRUNE


def test_reproducible_study_with_the_pruner() -> None:
    def run() -> list[tuple]:
        def objective(trial):
            x = trial.suggest_float("x", 0.0, 1.0)
            v = 1.0
            for step in range(1, 10):
                v = (x - 0.3) ** 2 + 1.0 / step * (1.0 - x)  # slow starters: small x
                trial.report(v, step)
                if trial.should_prune():
                    raise hs.TrialPruned()
            return v

        study = hs.create_study(sampler=hs.samplers.TPESampler(seed=3),
                                pruner=LearningCurvePruner(max_resource=9, min_reference=3))
        study.optimize(objective, n_trials=30)
        return [(t.number, t.state, t.last_step) for t in study.trials]

    a = run()
    assert a == run()
    assert any(s is hs.TrialState.PRUNED for _, s, _ in a)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(min_resource=0), r"min_resource=0\): must be an int >= 1"),
        (dict(max_resource=0), r"max_resource=0\): must be an int >= 1 or 'auto'"),
        (dict(max_resource=None), r"max_resource=None\)"),
        (dict(min_resource=3, max_resource=3), r"max_resource must be > min_resource"),
        (dict(reduction_factor=1), r"reduction_factor=1\): must be an int >= 2"),
        (dict(n_neighbors=0), r"n_neighbors=0\): must be an int >= 1"),
        (dict(top_k=1.5), r"top_k=1.5\): must be an int >= 1"),
        (dict(min_reference=0), r"min_reference=0\): must be an int >= 1"),
        (dict(margin=-0.1), r"margin=-0.1\): must be a finite number >= 0"),
        (dict(margin=math.inf), r"margin=inf\)"),
        (dict(margin=True), r"margin=True\)"),
        (dict(reference_fraction=1.0), r"reference_fraction=1.0\): must be a number in \[0, 1\)"),
        (dict(reference_fraction=-0.1), r"reference_fraction=-0.1\)"),
        (dict(seed="a"), r"seed='a'\): must be an int"),
        (dict(wrapped="asha"), r"wrapped='asha'\): must be a Pruner or None"),
    ],
)
def test_errors_name_the_parameter_and_the_value(kw: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LearningCurvePruner(**kw)


def test_repr_and_pickle() -> None:
    import pickle

    p = lcp()
    assert "n_neighbors=1" in repr(p)
    q = pickle.loads(pickle.dumps(p))
    assert q.decide(hist(REFS), tr(3, c1(0.45), R)) is PRUNE
