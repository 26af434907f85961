"""Adaptive Hyperband: the rank correlation, the bracket probabilities, and the behaviour."""

from __future__ import annotations

import datetime as dt
import math

import pytest

import hyperscout as hs
from hyperscout.pruners import AdaptiveHyperbandPruner, Decision, HyperbandPruner
from hyperscout.pruners._curves import curve_from
from hyperscout.pruners.adaptive_hyperband import (
    _Done,
    _finished_before,
    bracket_probabilities,
    kendall_tau,
    rung_taus,
)
from hyperscout.trial import FrozenTrial, TrialState

from ._helpers import R, hist, tr

PRUNE, GO = Decision.PRUNE, Decision.CONTINUE


# -- Kendall's tau-b ------------------------------------------------------------------------
def test_kendall_tau_hand_computed() -> None:
    # pairs of [1,2,3,4] vs [1,3,2,4]: only (2,3) is discordant -> (5 - 1) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    assert kendall_tau([1, 2, 3], [1, 2, 3]) == 1.0
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    # ties (tau-b): x = [1, 1, 2], y = [1, 2, 3]: n0 = 3 pairs, one tied in x, the two others
    # concordant -> 2 / sqrt((3 - 1) * (3 - 0))
    assert kendall_tau([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / math.sqrt(6))
    # the same as scipy's tau-b on a random sample with ties
    from scipy.stats import kendalltau

    x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    y = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4]
    assert kendall_tau(x, y) == pytest.approx(kendalltau(x, y).statistic)


def test_kendall_tau_degenerate_and_errors() -> None:
    assert math.isnan(kendall_tau([1.0], [2.0]))
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))  # x constant
    with pytest.raises(ValueError, match="equally long"):
        kendall_tau([1, 2, 3], [1, 2])


# -- bracket probabilities -------------------------------------------------------------------
def test_bracket_probabilities_hand_computed() -> None:
    # every tau 1: Hyperband's own weights 27, 12, 6, 4 of 49
    assert bracket_probabilities([27, 12, 6, 4], [1.0, 1.0, 1.0]) == pytest.approx(
        [27 / 49, 12 / 49, 6 / 49, 4 / 49])
    # cascade: bracket 0 keeps 0 of 27 and hands 27 on; bracket 1 has 12 + 27 = 39, keeps
    # half (19.5) and hands 19.5 on; bracket 2 has 6 + 19.5 = 25.5, keeps 0.75 (19.125) and
    # hands 6.375 to the last bracket, which keeps 4 + 6.375 = 10.375; total still 49
    assert bracket_probabilities([27, 12, 6, 4], [-0.1, 0.5, 0.75]) == pytest.approx(
        [0.0, 19.5 / 49, 19.125 / 49, 10.375 / 49])
    # only rung 9 ranks poorly: bracket 2's 6 go to the full-budget bracket
    assert bracket_probabilities([27, 12, 6, 4], [1.0, 1.0, 0.0]) == pytest.approx(
        [27 / 49, 12 / 49, 0.0, 10 / 49])
    # nan counts as 0; no rung ranks: everything goes to the full-budget bracket
    assert bracket_probabilities([27, 12, 6, 4], [math.nan, 0.0, -1.0]) == [0, 0, 0, 1.0]
    assert bracket_probabilities([1], []) == [1.0]
    with pytest.raises(ValueError, match="need len\\(weights\\) - 1 = 3 taus"):
        bracket_probabilities([27, 12, 6, 4], [1.0])


# -- rung statistics ---------------------------------------------------------------------------
def _done(number: int, curve: list[float], final: float | None) -> _Done:
    return _Done(number, None, curve_from(number, dict(enumerate(curve, 1)), 1.0), final)


def test_rung_taus_reference_levels_hand_computed() -> None:
    # three trials complete (final = value at step 9); three more stopped at step 3
    done = [_done(0, [1, 1, 2, 3, 3, 3, 3, 3, 1.0], 1.0),
            _done(1, [2, 2, 1, 2, 2, 2, 2, 2, 2.0], 2.0),
            _done(2, [3, 3, 3, 1, 1, 1, 1, 1, 3.0], 3.0),
            _done(3, [4, 4, 6], None),
            _done(4, [5, 5, 5], None),
            _done(5, [6, 6, 4], None)]
    # min_pairs 3: rungs 1 and 3 against final values of the three complete trials
    # rung 1: [1, 2, 3] vs [1, 2, 3] -> 1; rung 3: [2, 1, 3] vs [1, 2, 3] -> (2 - 1) / 3
    got = rung_taus(done, [1, 3], 3)
    assert got[0] == (1.0, 3, math.inf)
    assert got[1][0] == pytest.approx(1 / 3) and got[1][1:] == (3, math.inf)
    # min_pairs 4: too few complete trials; rung 1 is compared with rung 3 over all six
    # (x = 1..6, y = [2, 1, 3, 6, 5, 4]: 11 concordant, 4 discordant of 15), rung 3 has no
    # reference above it and counts as ranking perfectly
    got = rung_taus(done, [1, 3], 4)
    assert got[0][0] == pytest.approx(7 / 15) and got[0][1:] == (6, 3.0)
    assert got[1] == (1.0, 0, None)


def test_finished_before_uses_times_or_numbers() -> None:
    t0 = dt.datetime(2026, 1, 1)
    a = _Done(0, t0, curve_from(0, {1: 0.0}, 1.0), 0.0)
    b = _Done(1, t0 + dt.timedelta(seconds=10), curve_from(1, {1: 0.0}, 1.0), 0.0)
    c = _Done(5, None, curve_from(5, {1: 0.0}, 1.0), 0.0)
    running = FrozenTrial.build(number=3, trial_id=3, state=TrialState.RUNNING,
                                datetime_start=t0 + dt.timedelta(seconds=5))
    # b completed after trial 3 started (it ran in parallel): not seen; c has no time and a
    # larger number: not seen
    assert [d.number for d in _finished_before([a, b, c], running)] == [0]
    no_time = FrozenTrial.build(number=3, trial_id=3, state=TrialState.RUNNING)
    assert [d.number for d in _finished_before([a, b, c], no_time)] == [0, 1]


# -- behaviour -----------------------------------------------------------------------------------
def _anti_history(n: int = 30):
    """``n`` complete trials (minimize, 27 steps): the step-1 value ranks them backwards,
    every later step forwards (trial ``k`` ends at ``k``)."""
    return [tr(k, {s: (float(-k) if s == 1 else float(k)) for s in range(1, 28)})
            for k in range(n)]


def test_anti_correlated_first_rung_is_no_longer_pruned_at() -> None:
    done = _anti_history()
    h = hist(done)
    hb = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=0)
    stats = hb.rung_statistics(h, tr(30, {1: 0.0}, R))
    assert stats[0] == (-1.0, 30, math.inf)  # rung 1 against the final values
    assert [s[0] for s in stats[1:]] == [1.0, 1.0]
    # bracket 0's weight (27 of 49) moves to bracket 1, which starts pruning at step 3
    assert hb.probabilities(h, tr(30, {1: 0.0}, R)) == pytest.approx(
        [0.0, 39 / 49, 6 / 49, 4 / 49])
    # a new trial with the worst step-1 value of all goes on, whatever its number
    for n in range(30, 230):
        assert hb.decide(h, tr(n, {1: 100.0}, R)) is GO
        assert hb.bracket_of(n, h) != 0
    # plain Hyperband prunes many of the same trials at step 1 (its bracket 0 holds ~55%)
    plain = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=0)
    pruned = sum(plain.decide(h, tr(n, {1: 100.0}, R)) is PRUNE for n in range(30, 230))
    assert pruned > 80


def test_well_ranked_rungs_give_plain_hyperband_weights() -> None:
    done = [tr(k, {s: float(k) for s in range(1, 28)}) for k in range(30)]
    h = hist(done)
    hb = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=0)
    assert hb.probabilities(h, tr(30, {1: 0.0}, R)) == pytest.approx(
        [27 / 49, 12 / 49, 6 / 49, 4 / 49])
    # before min_pairs trials: no estimate, plain Hyperband too
    h5 = hist(_anti_history(5))
    assert hb.probabilities(h5, tr(5, {1: 0.0}, R)) == pytest.approx(
        [27 / 49, 12 / 49, 6 / 49, 4 / 49])


def test_bracket_is_fixed_once_drawn_and_the_same_for_every_worker() -> None:
    done = _anti_history()
    early = hist(done[:5])
    late = hist(done)
    a = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, seed=3)
    b = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, seed=3)
    # trial 5 (no start time: it sees the finished trials numbered below it) is drawn from
    # plain Hyperband's weights by a, and the same bracket results when b first sees it later
    # alongside 25 more finished trials
    first = a.bracket_of_trial(early, tr(5, {1: 0.0}, R))
    assert b.bracket_of_trial(late, tr(5, {1: 0.0}, R)) == first
    assert a.bracket_of_trial(late, tr(5, {1: 0.0}, R)) == first
    assert [a.bracket_of_trial(late, tr(n, {1: 0.0}, R)) for n in range(30, 90)] == [
        b.bracket_of_trial(late, tr(n, {1: 0.0}, R)) for n in range(30, 90)]


def test_errors_and_repr() -> None:
    with pytest.raises(ValueError, match="min_pairs=2"):
        AdaptiveHyperbandPruner(min_pairs=2)
    with pytest.raises(ValueError, match="reduction_factor=1"):
        AdaptiveHyperbandPruner(reduction_factor=1)
    assert "min_pairs=10" in repr(AdaptiveHyperbandPruner(max_resource=27))
    # max_resource='auto' before a trial completes: no brackets yet, nothing is pruned
    auto = AdaptiveHyperbandPruner()
    assert auto.decide(hist([]), tr(0, {1: 5.0}, R)) is GO
    assert auto.probabilities(hist([]), tr(0, {1: 5.0}, R)) == []


def _objective(trial: hs.Trial) -> float:
    # the step-1 value is noise unrelated to the final value (lr ranks only from step 3)
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    x = trial.suggest_float("x", -1, 1)
    final = (math.log10(lr) + 1.5) ** 2 + x * x
    for step in range(1, 28):
        v = (math.sin(1000 * lr) + 2.0) if step == 1 else final + 1.0 / step
        trial.report(v, step)
        if trial.should_prune():
            raise hs.TrialPruned()
    return final


def test_study_integration_reproducible_and_adapts() -> None:
    hs.set_verbosity("WARNING")

    def run(seed: int):
        pruner = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, seed=seed)
        study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=seed), pruner=pruner)
        study.optimize(_objective, n_trials=120)
        return study, pruner

    s1, p1 = run(0)
    s2, _ = run(0)
    assert [t.state for t in s1.trials] == [t.state for t in s2.trials]
    assert [t.last_step for t in s1.trials] == [t.last_step for t in s2.trials]
    # once the estimate is in, rung 1 (noise) gets next to no new trials
    late = [p1.bracket_of(t.number, None) for t in s1.trials[60:]]
    early = [p1.bracket_of(t.number, None) for t in s1.trials[:10]]
    assert late.count(0) <= 6 and early.count(0) >= 3


def test_asha_prior_hand_computed() -> None:
    # ASHA's weights (every trial starts at rung 0): rung 1 useless, rung 3 tau 0.66, rung 9
    # tau 0.79 -> 0, 0.66, 0.34 * 0.79, 0.34 * 0.21
    assert bracket_probabilities([1, 0, 0, 0], [0.0, 0.66, 0.79]) == pytest.approx(
        [0.0, 0.66, 0.34 * 0.79, 0.34 * 0.21])
    assert bracket_probabilities([1, 0, 0, 0], [1.0, 1.0, 1.0]) == [1.0, 0.0, 0.0, 0.0]
    good = hist([tr(k, {s: float(k) for s in range(1, 28)}) for k in range(30)])
    asha = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, prior="asha")
    assert asha.probabilities(good, tr(30, {1: 0.0}, R)) == [1.0, 0.0, 0.0, 0.0]
    assert {asha.bracket_of_trial(good, tr(n, {1: 0.0}, R)) for n in range(30, 80)} == {0}
    # rung 1 anti-correlated: everything starts pruning at rung 3 instead
    anti = hist(_anti_history())
    asha2 = AdaptiveHyperbandPruner(min_resource=1, max_resource=27, prior="asha")
    assert asha2.probabilities(anti, tr(30, {1: 0.0}, R)) == pytest.approx([0, 1.0, 0, 0])
    assert "prior='asha'" in repr(asha2)
    with pytest.raises(ValueError, match="prior='bohb'"):
        AdaptiveHyperbandPruner(prior="bohb")


def test_kendall_tau_large_samples_match_the_pairwise_count() -> None:
    import numpy as np

    from hyperscout.pruners import adaptive_hyperband as ah

    rng = np.random.default_rng(1)
    x = rng.integers(0, 40, 400).astype(float)  # ties
    y = x + rng.normal(0, 10, 400)
    assert 400 > ah._PAIRWISE_MAX  # noqa: SLF001 - the scipy path
    iu = np.triu_indices(400, 1)
    da = np.sign(x[:, None] - x[None, :])[iu]
    db = np.sign(y[:, None] - y[None, :])[iu]
    n0 = da.size
    want = np.sum(da * db) / math.sqrt((n0 - (n0 - np.count_nonzero(da)))
                                       * (n0 - (n0 - np.count_nonzero(db))))
    assert kendall_tau(x, y) == pytest.approx(want, abs=1e-12)


def test_done_index_prefix_and_cache_invalidation() -> None:
    from hyperscout.pruners.adaptive_hyperband import _DoneIndex

    t0 = dt.datetime(2026, 1, 1)

    def d(n: int, sec: int) -> _Done:
        return _Done(n, t0 + dt.timedelta(seconds=sec), curve_from(n, {1: 0.0}, 1.0), 0.0)

    idx = _DoneIndex()
    for n, sec in [(0, 1), (1, 3), (2, 5)]:
        idx.add(d(n, sec))
    run = FrozenTrial.build(number=9, trial_id=9, state=TrialState.RUNNING,
                            datetime_start=t0 + dt.timedelta(seconds=4))
    done, key = idx.before(run)
    assert [x.number for x in done] == [0, 1] and key == 2
    idx.cache[2] = []
    idx.add(d(3, 6))  # later than everything indexed: the cache stays
    assert 2 in idx.cache
    idx.add(d(4, 2))  # completed before trial 1 (seen late): cached statistics are dropped
    assert idx.cache == {}
    done, key = idx.before(run)
    assert [x.number for x in done] == [0, 4, 1] and key == 3


# -- the incremental prefix statistics -------------------------------------------------------
def _random_done(n: int, seed: int, p_final: float) -> list[_Done]:
    """Finished trials with ties (values rounded), NaN reports, trials pruned before the
    higher rungs (missing values) and trials without a final value (pruned)."""
    import numpy as np

    from hyperscout.pruners._curves import Curve

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        length = int(rng.choice([1, 3, 9, 27], p=[0.4, 0.3, 0.2, 0.1]))
        base = rng.random()
        curve = [round(base + rng.normal(0, 0.3) / s, 1) for s in range(1, length + 1)]
        if rng.random() < 0.03:
            curve[0] = float("nan")
        t = FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE,
                              intermediate_values=dict(enumerate(curve, 1)),
                              values=[curve[-1]])
        final = float(curve[-1]) if rng.random() < p_final else None
        out.append(_Done(i, None, Curve.of(t, 1.0), final))
    return out


@pytest.mark.parametrize("n,min_pairs,p_final", [(120, 10, 0.05), (320, 20, 0.9)])
def test_prefix_sums_equal_rung_taus_on_every_prefix(n: int, min_pairs: int,
                                                     p_final: float) -> None:
    from hyperscout.pruners.adaptive_hyperband import PrefixRankSums

    # few final values: the higher rungs are the references; many: the final values are
    done = _random_done(n, seed=n, p_final=p_final)
    rungs = [1, 3, 9]
    sums = PrefixRankSums(rungs)
    sums.extend(done[: n // 2])
    sums.extend(done[n // 2:])  # appending in pieces is the same as at once
    for k in [0, 1, 5, *range(10, n + 1, 7), n]:
        assert sums.stats(k, min_pairs) == rung_taus(done[:k], rungs, min_pairs), k
    # both tau forms are exercised: pairwise (<= 256 points) and scipy's (above)
    stats = sums.stats(n, min_pairs)
    used = [pairs for _, pairs, ref in stats if ref is not None]
    assert used and (max(used) > 256) == (n > 256)
    assert any(ref not in (None, math.inf) for _, _, ref in stats) == (p_final < 0.5)
    with pytest.raises(ValueError, match="k=-1"):
        sums.stats(-1, min_pairs)
    with pytest.raises(ValueError, match=f"k={n + 1}"):
        sums.stats(n + 1, min_pairs)
