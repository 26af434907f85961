"""Hyperband whose bracket distribution follows how well each rung ranks configurations.

Plain Hyperband (:class:`~hyperscout.pruners.HyperbandPruner`) hedges against misleading
early rungs by spreading trials over brackets with fixed weights ``w_b``. When the first rung
ranks configurations no better than chance (on several LCBench tasks epoch 1 of 52 has a rank
correlation of -0.2..0.15 with the final accuracy, see ``benchmarks/RESULTS.md``), the trials of
bracket 0 are pruned at random there; when it ranks well, the full-budget bracket wastes epochs.
This pruner measures, from the study's own finished trials, how well each rung ranks, and moves
trials to the brackets whose first rung ranks well, in the spirit of Hyper-Tune's bracket
selection (Li et al., "Hyper-Tune: Towards Efficient Hyper-parameter Tuning at Scale",
VLDB 2022: Hyperband's default distribution times a per-level quality weight; the rule here,
which moves weight up to the next rung instead, is our own).

Measured (``benchmarks/RESULTS.md``, issue 4, LCBench and synthetic, 10 / 20 seeds): with
:class:`~hyperscout.samplers.multifidelity.MultiFidelityTPESampler` it reached the target in
as many epochs as plain Hyperband (0.73x vs 0.72x of no pruning's, geometric mean), and with
``prior="asha"`` in 0.31-0.39x on three tasks but above 1x on three others; it is an option,
not the recommended default.

**The rule.** Brackets and rungs are Hyperband's: with ``B`` brackets, rung ``k`` sits at step
``r_k = min_resource * eta**k`` (``k = 0..B-2``), bracket ``b < B-1`` first prunes at ``r_b``
and the last bracket never prunes. For a trial, let ``D`` be the finished trials that
completed before it started (``datetime_complete <= datetime_start``; when either time is
missing, the finished trials with a smaller number). For each rung ``k`` of ``D``:

1. *Reference level.* The final value (objective value of complete trials) if at least
   ``min_pairs`` complete trials of ``D`` have a value at ``r_k``; else the highest rung
   ``r_j > r_k`` with at least ``min_pairs`` trials of ``D`` having values at both; else
   none. A trial's value at a step is its report at the first step ``>= r`` (the rung value
   of :mod:`hyperscout.pruners.asha`).
2. *Ranking quality* ``tau_k``: Kendall's tau-b (:func:`kendall_tau`) between the trials'
   values at ``r_k`` and at the reference, over every trial of ``D`` that has both; ``1``
   (plain Hyperband's implicit assumption) while rung ``k`` has no reference.
3. *Bracket probabilities* (:func:`bracket_probabilities`, the cascade rule): start from
   prior weights ``w_b``, Hyperband's (:func:`~hyperscout.pruners.hyperband.bracket_budgets`,
   ``prior="hyperband"``) or ASHA's (``prior="asha"``: ``w = (1, 0, ..., 0)``, every trial
   would start pruning at the first rung);
   going up from bracket 0, bracket ``b`` keeps the share ``q_b = max(tau_b, 0)`` of its mass
   and hands the rest to bracket ``b + 1``, whose first rung is the next one; the last
   bracket (no pruning) keeps what reaches it. A rung that ranks no better than chance gets no
   trials that start pruning there (they start at the next rung); with every ``tau = 1``
   this is the prior: plain Hyperband, or plain ASHA (``ASHAPruner`` with the same rungs).
4. *Bracket*: the first ``b`` whose cumulative probability exceeds
   ``u = mix64(seed, number) / 2**64`` (a stable hash of the seed and the trial number).

So a trial's bracket is a pure function of the seed, its number and trials that were finished
before it started: every worker computes the same bracket for it, it never changes while the
trial runs, and a seeded sequential study reproduces exactly. Within a bracket, trials compete
as in :class:`~hyperscout.pruners.HyperbandPruner` (asynchronous successive halving against
the other trials of the same bracket).

Cost: the bracket of each trial is computed once and cached. The rank statistics of the
trials finished before it started (with completion and start times, a prefix of the completion
order, found by bisection) come from pair counts kept for every prefix and updated as each
finished trial is appended (:class:`PrefixRankSums`; the same values as :func:`rung_taus`), so
drawing the brackets of ``N`` trials costs ``O(N^2)`` vectorised work in all. Other calls cost
what ``HyperbandPruner``'s do. Measured (``benchmarks/multifidelity/adaptive_cost.py``): a
trial's first call 0.2 / 0.2 / 0.5 ms with 100 / 1000 / 3000 finished trials, later calls
~20 µs; a process that first sees a large study draws every finished trial's bracket at once
(0.2 s for 1000 trials, 0.8 s for 3000).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from hyperscout.history import History
from hyperscout.pruners._curves import Curve, FinishedFeed, check_int
from hyperscout.pruners.asha import decide_rungs
from hyperscout.pruners.base import Decision
from hyperscout.pruners.hyperband import HyperbandPruner, bracket_budgets, mix64
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_PAIRWISE_MAX = 256  # above this many points, scipy's O(n log n) tau-b instead of all pairs


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two equally long samples (``nan`` if either is constant or n < 2).

    ``(n_c - n_d) / sqrt((n_0 - n_x) * (n_0 - n_y))`` with ``n_c`` / ``n_d`` the concordant /
    discordant pairs, ``n_0 = n (n - 1) / 2`` and ``n_x`` / ``n_y`` the pairs tied in x / y.

    Example:
        >>> kendall_tau([1, 2, 3, 4], [1, 3, 2, 4])  # 5 concordant, 1 discordant of 6
        0.6666666666666666
        >>> kendall_tau([1, 2, 3], [3, 2, 1])
        -1.0
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"kendall_tau: x and y must be 1-d and equally long, got shapes "
                         f"{a.shape} and {b.shape}")
    n = a.size
    if n < 2:
        return math.nan
    if n > _PAIRWISE_MAX:  # O(n log n); the same tau-b
        from scipy.stats import kendalltau

        return float(kendalltau(a, b).statistic)
    iu = np.triu_indices(n, 1)
    da = np.sign(a[:, None] - a[None, :])[iu]
    db = np.sign(b[:, None] - b[None, :])[iu]
    n0 = da.size
    nx = n0 - np.count_nonzero(da)
    ny = n0 - np.count_nonzero(db)
    denom = math.sqrt((n0 - nx) * (n0 - ny))
    if denom == 0.0:
        return math.nan
    return float(np.sum(da * db) / denom)


def bracket_probabilities(weights: Sequence[float], taus: Sequence[float]) -> list[float]:
    """Hyperband's weights, moved up past rungs that rank poorly (the cascade rule).

    Going from bracket 0 up, bracket ``b`` keeps the share ``q_b = max(tau_b, 0)`` of its mass
    ``m_b`` and hands the rest to bracket ``b + 1``: ``m_0 = w_0``,
    ``m_{b+1} = w_{b+1} + (1 - q_b) m_b``, ``p_b ∝ q_b m_b`` for ``b < B-1`` and
    ``p_{B-1} ∝ m_{B-1}`` (the last bracket never prunes and keeps all it gets). So a trial
    that plain Hyperband would start pruning at a rung that ranks no better than chance starts
    at the next rung instead. ``taus[b]`` is the ranking quality of bracket ``b``'s first rung
    (``len(weights) - 1`` values); ``nan`` counts as 0. Every ``tau = 1``: plain Hyperband.

    Example:
        >>> bracket_probabilities([27, 12, 6, 4], [1.0, 1.0, 1.0])   # plain Hyperband
        [0.5510204081632653, 0.24489795918367346, 0.12244897959183673, 0.08163265306122448]
        >>> # m = 27, 12 + 27, 6 + 0.5 * 39, 4 + 0.25 * 25.5 -> p = 0, 19.5, 19.125, 10.375 of 49
        >>> bracket_probabilities([27, 12, 6, 4], [-0.1, 0.5, 0.75])
        [0.0, 0.3979591836734694, 0.3903061224489796, 0.21173469387755103]
    """
    if len(taus) != len(weights) - 1:
        raise ValueError(f"bracket_probabilities: need len(weights) - 1 = {len(weights) - 1} "
                         f"taus (one per bracket that prunes), got {len(taus)}")
    out: list[float] = []
    carry = 0.0
    for w, t in zip(weights, taus):
        q = 0.0 if math.isnan(t) else min(max(t, 0.0), 1.0)
        m = w + carry
        out.append(m * q)
        carry = m * (1.0 - q)
    out.append(weights[-1] + carry)
    total = sum(out)
    return [v / total for v in out]


@dataclass(frozen=True)
class _Done:
    """A finished trial as the rank statistics read it."""

    number: int
    complete: object  # datetime or None
    curve: Curve
    final: float | None  # sign-adjusted objective value of a complete trial


class _DoneIndex:
    """Finished trials in completion-time order, for the ``finished before it started`` set.

    With times on both sides that set is a prefix of this order (found by bisection), so the
    rank statistics are cached by the prefix length; a trial that completed earlier than one
    already indexed (another worker's, seen late) clears the cache.
    """

    def __init__(self) -> None:
        self.all: list[_Done] = []
        self.keys: list[tuple[object, int]] = []  # (complete time, number), sorted
        self.timed: list[_Done] = []
        self.untimed = 0
        self.cache: dict[int, list[tuple[float, int, float | None]]] = {}
        self.sums: PrefixRankSums | None = None  # rank statistics of the prefixes of timed

    def add(self, d: _Done) -> None:
        self.all.append(d)
        if d.complete is None:
            self.untimed += 1
            return
        key = (d.complete, d.number)
        i = bisect_right(self.keys, key)  # type: ignore[arg-type]
        if i < len(self.keys):
            self.cache.clear()
            self.sums = None  # inserted before the end: the prefixes changed
        self.keys.insert(i, key)
        self.timed.insert(i, d)

    def before(self, t: FrozenTrial) -> tuple[list[_Done], int | None]:
        """The finished trials ``t``'s draw sees, and a cache key (``None``: do not cache)."""
        start = t.datetime_start
        if start is None or self.untimed:
            return _finished_before(self.all, t), None
        k = bisect_right(self.keys, (start, math.inf))  # type: ignore[arg-type]
        return self.timed[:k], k


def _finished_before(done: Sequence[_Done], t: FrozenTrial) -> list[_Done]:
    start = t.datetime_start
    out = []
    for d in done:
        if start is not None and d.complete is not None:
            if d.complete <= start:  # type: ignore[operator]
                out.append(d)
        elif d.number < t.number:
            out.append(d)
    return out


def rung_taus(
    done: Sequence[_Done], rungs: Sequence[int], min_pairs: int
) -> list[tuple[float, int, float | None]]:
    """``(tau, pairs, reference step)`` per rung (reference ``inf``: final values; ``None``:
    no reference yet, then ``tau = 1`` and ``pairs = 0``). See the module docstring."""
    at = [[d.curve.value_at_first_step_from(r) for r in rungs] for d in done]
    out: list[tuple[float, int, float | None]] = []
    for k in range(len(rungs)):
        # (the walrus names let the type checker see the None check on row[k] and row[j])
        final = [(vk, d.final) for row, d in zip(at, done)
                 if (vk := row[k]) is not None and d.final is not None]
        pairs: list[tuple[float, float]] = final
        ref: float | None = math.inf
        if len(pairs) < min_pairs:
            pairs, ref = [], None
            for j in range(len(rungs) - 1, k, -1):
                cand = [(vk, vj) for row in at
                        if (vk := row[k]) is not None and (vj := row[j]) is not None]
                if len(cand) >= min_pairs:
                    pairs, ref = cand, float(rungs[j])
                    break
        pairs = [(a, b) for a, b in pairs if not (math.isnan(a) or math.isnan(b))]
        if ref is None or len(pairs) < min_pairs:
            out.append((1.0, 0, None))
            continue
        tau = kendall_tau([a for a, _ in pairs], [b for _, b in pairs])
        out.append((0.0 if math.isnan(tau) else tau, len(pairs), ref))
    return out


class PrefixRankSums:
    """:func:`rung_taus` for every prefix of a growing sequence of finished trials, kept by
    pair counts updated as each trial is appended (the same statistics, exactly: integer
    counts of concordant minus discordant pairs and of ties, for each rung against each
    possible reference), so the statistics of all ``n`` prefixes cost ``O(n^2)`` vectorised
    work instead of a rank correlation per prefix.

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> def done(n, curve):
        ...     t = FrozenTrial.build(number=n, trial_id=n, state=TrialState.COMPLETE,
        ...                           intermediate_values=dict(enumerate(curve, 1)),
        ...                           values=[curve[-1]])
        ...     return _Done(n, None, Curve.of(t, 1.0), float(curve[-1]))
        >>> trials = [done(n, [float(-n), float(n)]) for n in range(6)]
        >>> sums = PrefixRankSums([1])
        >>> sums.extend(trials)
        >>> sums.stats(6, min_pairs=3) == rung_taus(trials, [1], 3)
        True
        >>> sums.stats(6, min_pairs=3)[0][:2]  # step 1 ranks the final values backwards
        (-1.0, 6)
    """

    def __init__(self, rungs: Sequence[int]) -> None:
        self.rungs = tuple(int(r) for r in rungs)
        c = len(self.rungs) + 1  # the rungs' values, then the final value
        self._values = np.zeros((16, c))  # rows 0 .. len(self) - 1 in use (grown by doubling)
        self._present = np.zeros((16, c), dtype=bool)
        zero = np.zeros((c, c), dtype=np.int64)
        # per prefix length: concordant - discordant, x-ties, y-ties, non-nan and present rows
        self._sums: list[tuple[np.ndarray, ...]] = [(zero,) * 5]

    def __len__(self) -> int:
        return len(self._sums) - 1

    def extend(self, done: Sequence[_Done]) -> None:
        """Append ``done`` (in order) to the sequence."""
        for d in done:
            row = [d.curve.value_at_first_step_from(r) for r in self.rungs] + [d.final]
            present = np.array([v is not None for v in row])
            values = np.array([np.nan if v is None else float(v) for v in row])
            valid = present & ~np.isnan(values)
            n = len(self)
            prev = self._values[:n]
            both = self._present[:n] & ~np.isnan(prev) & valid  # usable (this, earlier) pairs
            sign = (np.greater(values, prev).astype(np.int64)
                    - np.less(values, prev).astype(np.int64)) * both
            tie = ((sign == 0) & both).astype(np.int64)
            b = both.astype(np.int64)
            s, tx, ty, m, p = self._sums[-1]
            outer_v = np.outer(valid, valid).astype(np.int64)
            outer_p = np.outer(present, present).astype(np.int64)
            self._sums.append((s + sign.T @ sign, tx + tie.T @ b, ty + b.T @ tie,
                               m + outer_v, p + outer_p))
            if n == len(self._values):
                self._values = np.vstack([self._values, np.zeros_like(self._values)])
                self._present = np.vstack([self._present, np.zeros_like(self._present)])
            self._values[n], self._present[n] = values, present

    def stats(self, k: int, min_pairs: int) -> list[tuple[float, int, float | None]]:
        """:func:`rung_taus` of the first ``k`` appended trials."""
        if not 0 <= k <= len(self):
            raise ValueError(f"PrefixRankSums.stats: k={k} outside 0..{len(self)}")
        s, tx, ty, m, p = self._sums[k]
        last = len(self.rungs)  # the final value's column
        out: list[tuple[float, int, float | None]] = []
        for a in range(len(self.rungs)):
            ref: int | None = last if p[a, last] >= min_pairs else None
            if ref is None:
                for j in range(len(self.rungs) - 1, a, -1):
                    if p[a, j] >= min_pairs:
                        ref = j
                        break
            n = int(m[a, ref]) if ref is not None else 0
            if ref is None or n < min_pairs:
                out.append((1.0, 0, None))
                continue
            n0 = n * (n - 1) // 2
            nx, ny = int(tx[a, ref]), int(ty[a, ref])
            tau = _tau_b(int(s[a, ref]), n0, nx, ny, n)
            out.append((0.0 if math.isnan(tau) else tau, n,
                        math.inf if ref == last else float(self.rungs[ref])))
        return out


def _tau_b(con_minus_dis: int, n0: int, nx: int, ny: int, n: int) -> float:
    """Kendall's tau-b from pair counts, in the same floating-point form as
    :func:`kendall_tau` (its pairwise form up to ``_PAIRWISE_MAX`` points, scipy's above)."""
    if n > _PAIRWISE_MAX:
        if nx == n0 or ny == n0:
            return math.nan
        tau = con_minus_dis / np.sqrt(n0 - nx) / np.sqrt(n0 - ny)
        return float(np.minimum(1.0, max(-1.0, tau)))
    denom = math.sqrt((n0 - nx) * (n0 - ny))
    if denom == 0.0:
        return math.nan
    return con_minus_dis / denom


class AdaptiveHyperbandPruner(HyperbandPruner):
    """Hyperband with brackets drawn by how well each rung ranks (see the module docstring).

    Args:
        min_resource: The smallest rung's step (>= 1).
        max_resource: The full budget in steps; ``"auto"``: the last step of the first complete
            trial.
        reduction_factor: ``eta`` (>= 2).
        seed: Seeds the trial-to-bracket draw.
        min_pairs: Trials with values at both a rung and its reference needed before the
            rung's rank correlation is used (>= 3; below it the rung counts as ranking
            perfectly, as in plain Hyperband).
        prior: The bracket weights before the rank correlations move them: ``"hyperband"``
            (Hyperband's, which keep a share of trials in the brackets that prune late or
            never, a hedge against misleading rungs) or ``"asha"`` (all in bracket 0; the
            hedge then comes only from the measured correlations).

    Example:
        >>> from hyperscout.history import History
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> def t(n, curve, state=TrialState.COMPLETE):
        ...     done = state is TrialState.COMPLETE
        ...     return FrozenTrial.build(number=n, trial_id=n, state=state,
        ...                              intermediate_values=dict(enumerate(curve, 1)),
        ...                              values=[curve[-1]] if done else None)
        >>> # ten complete trials whose step-1 value ranks them backwards (minimize)
        >>> done = [t(n, [float(-n)] + [float(n)] * 8) for n in range(10)]
        >>> h = History(["minimize"], done, 10, [])
        >>> hb = AdaptiveHyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3,
        ...                              min_pairs=5)
        >>> new = t(10, [0.0], TrialState.RUNNING)
        >>> [tau for tau, _, _ in hb.rung_statistics(h, new)]  # rungs 1 and 3 vs final values
        [-1.0, 1.0]
        >>> # Hyperband's weights 9, 5, 3; bracket 0's 9 move to bracket 1: 0, 14, 3 of 17
        >>> [round(p, 4) for p in hb.probabilities(h, new)]
        [0.0, 0.8235, 0.1765]
    """

    needs_history: ClassVar[bool] = True

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int | str = "auto",
        reduction_factor: int = 3,
        seed: int = 0,
        min_pairs: int = 10,
        prior: str = "hyperband",
    ) -> None:
        super().__init__(min_resource=min_resource, max_resource=max_resource,
                         reduction_factor=reduction_factor, seed=seed)
        self.min_pairs = check_int("AdaptiveHyperbandPruner", "min_pairs", min_pairs, 3)
        if prior not in ("hyperband", "asha"):
            raise ValueError(f"AdaptiveHyperbandPruner(prior={prior!r}): give 'hyperband' "
                             "(Hyperband's bracket weights) or 'asha' (every trial in bracket 0)")
        self.prior = prior
        self._feed = FinishedFeed()
        self._done = _DoneIndex()
        self._sign = 1.0
        self._assigned: dict[int, int] = {}

    # -- statistics -------------------------------------------------------------------------
    def _sync(self, history: History) -> None:
        sign = history.sign()
        new, reset = self._feed.new(history)
        if reset or sign != self._sign:
            self._sign, self._done, self._assigned = sign, _DoneIndex(), {}
            self._table = type(self._table)()
        for t in new:
            if not t.intermediate_values:
                continue
            final = None
            if t.state is TrialState.COMPLETE:
                final = sign * float(t.values[0]) if t.values else Curve.of(t, sign).values[-1]
            self._done.add(_Done(t.number, t.datetime_complete, Curve.of(t, sign), final))
        if self.brackets(history) is not None:
            for t in new:  # after all of them are in: a trial's draw sees those before it
                if t.intermediate_values and t.number not in self._assigned:
                    self._bracket(history, t)

    def _rungs(self, history: History) -> list[int]:
        n = self.brackets(history)
        if n is None or n < 2:
            return []
        return [self.min_resource * self.reduction_factor ** k for k in range(n - 1)]  # type: ignore[operator]

    def rung_statistics(
        self, history: History, trial: FrozenTrial
    ) -> list[tuple[float, int, float | None]]:
        """``(tau, pairs, reference step)`` of each rung ``r_0 .. r_{B-2}`` as ``trial``'s
        bracket draw sees them (from the trials finished before it started)."""
        with self._lock:
            self._sync(history)
            return self._stats(history, trial)

    def _stats(self, history: History, trial: FrozenTrial) -> list[tuple[float, int, float | None]]:
        rungs = self._rungs(history)
        if not rungs:
            return []
        done, key = self._done.before(trial)
        if key is not None and key in self._done.cache:
            return self._done.cache[key]
        if key is None:
            stats = rung_taus(done, rungs, self.min_pairs)
        else:  # a prefix of the completion order: the incremental counts give the same
            sums = self._done.sums
            if sums is None or sums.rungs != tuple(rungs):
                sums = self._done.sums = PrefixRankSums(rungs)
            if len(sums) < key:
                sums.extend(self._done.timed[len(sums):key])
            stats = sums.stats(key, self.min_pairs)
        if key is not None:
            self._done.cache[key] = stats
        return stats

    def probabilities(self, history: History, trial: FrozenTrial) -> list[float]:
        """The bracket distribution ``trial`` is drawn from (``[]`` while the brackets are
        not known)."""
        with self._lock:
            self._sync(history)
            return self._probs(history, trial)

    def _probs(self, history: History, trial: FrozenTrial) -> list[float]:
        n = self.brackets(history)
        if n is None:
            return []
        if n == 1:
            return [1.0]
        taus = [tau for tau, _, _ in self._stats(history, trial)]
        w = (bracket_budgets(n, self.reduction_factor) if self.prior == "hyperband"
             else [1] + [0] * (n - 1))
        return bracket_probabilities(w, taus)

    def _bracket(self, history: History, trial: FrozenTrial) -> int | None:
        b = self._assigned.get(trial.number)
        if b is not None:
            return b
        probs = self._probs(history, trial)
        if not probs:
            return None
        u = mix64(self.seed, trial.number) / 2.0**64
        acc = 0.0
        b = len(probs) - 1
        for i, p in enumerate(probs):
            acc += p
            if u < acc:
                b = i
                break
        self._assigned[trial.number] = b
        return b

    def bracket_of_trial(self, history: History, trial: FrozenTrial) -> int | None:
        """The bracket of ``trial`` (``None`` while ``max_resource`` is not known yet)."""
        with self._lock:
            self._sync(history)
            return self._bracket(history, trial)

    def bracket_of(self, number: int, history: History | None) -> int | None:
        """The bracket already drawn for trial ``number`` (it depends on the trials finished
        before it started, so it is known once the trial, or a later one, has been seen by
        :meth:`decide`; use :meth:`bracket_of_trial` for a trial not seen yet)."""
        return self._assigned.get(number)

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        with self._lock:
            self._sync(history)
            b = self._bracket(history, trial)
            if b is None:
                return Decision.CONTINUE
            for t in history.running:
                if t.number not in self._assigned and t.intermediate_values:
                    self._bracket(history, t)
            return decide_rungs(
                history, trial, self.rungs_of(b, history), self.reduction_factor, self._table,
                lambda n: self._assigned.get(n, -1),
            )

    def __repr__(self) -> str:
        return (f"AdaptiveHyperbandPruner(min_resource={self.min_resource}, "
                f"max_resource={self.max_resource!r}, reduction_factor={self.reduction_factor},"
                f" seed={self.seed}, min_pairs={self.min_pairs}, prior={self.prior!r})")
