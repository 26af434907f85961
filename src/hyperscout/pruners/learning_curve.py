"""Learning-curve extrapolation by curve matching: prune only trials that cannot catch up.

Rank-based pruners (ASHA, Hyperband) stop a trial whose value at a rung is in the bottom of that
rung. That prunes *slow starters*: configurations that rank low at the first epochs and best
at the end. :class:`LearningCurvePruner` instead asks whether the trial could still end up among
the best *final* values, by extrapolating its partial curve from the study's own complete
curves (curve matching, a nearest-neighbour form of the learning-curve extrapolation of Domhan
et al., IJCAI 2015, and of Chandrashekaran & Lane, ECML 2017, which extrapolate from previously
trained curves):

1. At a rung (steps ``r * eta**k`` below ``max_resource``, as ASHA's), take the trial's reports
   ``y_1 .. y_m`` at its steps ``s_1 < .. < s_m`` (the rung included).
2. For every *reference* (a complete trial that reported at or beyond ``max_resource``), read its
   values ``c_1 .. c_m`` at the same steps (the first report at or after each step), its last
   value ``c_m`` and its final value ``F`` (the first report at or after ``max_resource``).
   Distance: ``sqrt(mean_j (y_j - c_j)**2)``; prediction: ``F + (y_m - c_m)`` (the reference's
   remaining gain added to the trial's current value).
3. The *optimistic* prediction is the best prediction among the ``n_neighbors`` nearest
   references (ties by trial number).
4. Prune if the optimistic prediction, improved by ``margin``, is still strictly worse than the
   ``top_k``-th best final value of the references.

So a slow starter survives as long as one of its nearest complete curves went on to a top
final value. Nothing is pruned until ``min_reference`` trials are complete (no prediction
without references). Since only complete trials are references, a pruner that never lets a
kind of curve finish never learns that it can win; ``reference_fraction`` keeps a share of the
trials unpruned (chosen by a hash of ``(seed, number)``, as Hyperband's brackets), so the
references stay a sample of all curves, not only of the survivors. A nan as the latest report
prunes (as in ASHA); earlier nan steps are ignored.

References come from finished trials through :class:`~hyperscout.pruners._curves.FinishedFeed`,
so a decision costs ``O(n_reference * m)`` and never rescans the study; running trials are not
used (``needs_running = False``). Decisions are a pure function of the reports: the same on
every worker and reproducible for a fixed order of reports.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import ClassVar

from hyperscout.history import History
from hyperscout.pruners._curves import Curve, FinishedFeed, check_int
from hyperscout.pruners.asha import check_resource, infer_max_resource, rung_steps
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.pruners.hyperband import mix64
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState


def curve_distance(partial: Sequence[float], reference: Sequence[float]) -> float:
    """Root-mean-square difference of two equally long value sequences.

    Example:
        >>> curve_distance([0.1, 0.3], [0.2, 0.5])  # sqrt((0.01 + 0.04) / 2)
        0.15811388300841897
    """
    if len(partial) != len(reference) or not partial:
        raise ValueError(
            f"curve_distance: got sequences of lengths {len(partial)} and {len(reference)}; "
            "pass two non-empty sequences of the same length")
    return math.sqrt(sum((y - c) ** 2 for y, c in zip(partial, reference)) / len(partial))


def shifted_prediction(current: float, reference_now: float, reference_final: float) -> float:
    """The trial's predicted final value: its current value plus the reference's remaining
    change (``reference_final - reference_now``).

    Example:
        >>> round(shifted_prediction(-0.40, -0.50, -0.90), 10)  # (signed: smaller is better)
        -0.8
    """
    return current + (reference_final - reference_now)


def optimistic_prediction(
    partial: Sequence[float],
    references: Sequence[tuple[Sequence[float], float]],
    n_neighbors: int,
) -> float:
    """The best (smallest) shifted prediction among the ``n_neighbors`` references nearest to
    ``partial``; ``references`` are ``(values at the partial's steps, final value)`` in a fixed
    order, which breaks ties in distance (the earlier one is nearer).

    Example:
        >>> refs = [([1.0, 0.8], 0.2), ([0.5, 0.4], 0.35), ([0.9, 0.9], 0.6)]
        >>> # distances 0.0, ~0.46, ~0.07: the two nearest are refs 0 and 2,
        >>> # predictions 0.8 + (0.2 - 0.8) = 0.2 and 0.8 + (0.6 - 0.9) = 0.5
        >>> round(optimistic_prediction([1.0, 0.8], refs, 2), 10)
        0.2
    """
    if not references:
        raise ValueError("optimistic_prediction: no references; pass at least one")
    if n_neighbors < 1:
        raise ValueError(f"optimistic_prediction(n_neighbors={n_neighbors}): must be >= 1")
    scored = sorted(
        ((curve_distance(partial, vals), i, shifted_prediction(partial[-1], vals[-1], final))
         for i, (vals, final) in enumerate(references)),
        key=lambda x: (x[0], x[1]),
    )
    return min(p for _, _, p in scored[:n_neighbors])


def kth_best(values: Sequence[float], k: int) -> float:
    """The ``k``-th smallest value (the last one if there are fewer than ``k``).

    Example:
        >>> kth_best([0.3, 0.1, 0.2], 2), kth_best([0.3, 0.1], 5)
        (0.2, 0.3)
    """
    if not values:
        raise ValueError("kth_best: no values; pass at least one")
    s = sorted(values)
    return s[min(k, len(s)) - 1]


def _finite_margin(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and value >= 0
    ):
        raise ValueError(
            f"LearningCurvePruner(margin={value!r}): must be a finite number >= 0 "
            "(in units of the objective; 0 trusts the optimistic prediction as is)")
    return float(value)


class LearningCurvePruner(Pruner):
    """Prune at a rung only if the optimistic curve-matching prediction of the trial's final
    value is worse than the ``top_k``-th best final of the complete trials (see the module
    docstring for the rule).

    Args:
        min_resource: The first rung's step (>= 1): nothing is pruned before it.
        max_resource: The full budget: the step whose value is a reference's final value, never
            a rung; ``"auto"``: the last step of the first complete trial.
        reduction_factor: ``eta`` (>= 2): rungs at ``min_resource * eta**k``.
        n_neighbors: How many nearest complete curves make the optimistic prediction (>= 1;
            more is more optimistic, so prunes less).
        top_k: Prune if the prediction is worse than the ``top_k``-th best final value (>= 1;
            1: worse than the best; larger prunes less).
        min_reference: No pruning until this many complete trials reached ``max_resource``
            (>= 1).
        margin: Added in the trial's favour to the optimistic prediction (>= 0, objective units).
        reference_fraction: The share of trials never pruned (in ``[0, 1)``), which keeps the
            references unbiased; ``0``: every trial can be pruned.
        seed: Picks those trials: trial ``n`` is one if ``mix64(seed, n) < fraction * 2**64``.
        wrapped: Another pruner (e.g. ASHA) whose prune decisions this one can veto: a trial
            the wrapped pruner stops goes on if its optimistic prediction is not worse than the
            ``top_k``-th best final (it is stopped when there is no prediction yet). The rungs
            are then the wrapped pruner's; ``min_resource`` and ``reduction_factor`` unused.

    Example:
        >>> from hyperscout.history import History
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> def t(n, curve, state=TrialState.COMPLETE):
        ...     return FrozenTrial.build(number=n, trial_id=n, state=state,
        ...                              intermediate_values=dict(enumerate(curve, 1)))
        >>> # maximize accuracy; trial 0 was a slow starter that ended best
        >>> done = [t(0, [0.1, 0.5, 0.9]), t(1, [0.6, 0.7, 0.7]), t(2, [0.5, 0.6, 0.6])]
        >>> h = History(["maximize"], done, 3, [])
        >>> lc = LearningCurvePruner(min_resource=1, max_resource=3, n_neighbors=1,
        ...                          min_reference=3)
        >>> lc.decide(h, t(3, [0.12], TrialState.RUNNING))  # like trial 0: 0.12 + 0.8 = 0.92
        <Decision.CONTINUE: 'continue'>
        >>> lc.decide(h, t(3, [0.55], TrialState.RUNNING))  # like 2 or 1: at most 0.65
        <Decision.PRUNE: 'prune'>
    """

    needs_history: ClassVar[bool] = True
    needs_running: ClassVar[bool] = False

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int | str = "auto",
        reduction_factor: int = 3,
        n_neighbors: int = 5,
        top_k: int = 1,
        min_reference: int = 5,
        margin: float = 0.0,
        reference_fraction: float = 0.0,
        seed: int = 0,
        wrapped: Pruner | None = None,
    ) -> None:
        owner = "LearningCurvePruner"
        self.min_resource = check_int(owner, "min_resource", min_resource, 1)
        self.max_resource = check_resource(owner, "max_resource", max_resource,
                                           allow_none=False)
        self.reduction_factor = check_int(owner, "reduction_factor", reduction_factor, 2)
        self.n_neighbors = check_int(owner, "n_neighbors", n_neighbors, 1)
        self.top_k = check_int(owner, "top_k", top_k, 1)
        self.min_reference = check_int(owner, "min_reference", min_reference, 1)
        self.margin = _finite_margin(margin)
        if isinstance(reference_fraction, bool) or not isinstance(
            reference_fraction, (int, float)
        ) or not 0.0 <= reference_fraction < 1.0:
            raise ValueError(
                f"LearningCurvePruner(reference_fraction={reference_fraction!r}): must be a "
                "number in [0, 1), e.g. 0.1 to keep one trial in ten unpruned")
        self.reference_fraction = float(reference_fraction)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"LearningCurvePruner(seed={seed!r}): must be an int")
        self.seed = seed
        if wrapped is not None and not isinstance(wrapped, Pruner):
            raise ValueError(f"LearningCurvePruner(wrapped={wrapped!r}): must be a Pruner or "
                             "None, e.g. ASHAPruner(min_resource=3)")
        self.wrapped = wrapped
        # per instance: a wrapped pruner's need for running trials is this one's too
        self.needs_running = (  # type: ignore[misc]
            wrapped.needs_running if wrapped is not None else False)
        if isinstance(self.max_resource, int) and self.max_resource <= self.min_resource:
            raise ValueError(
                f"LearningCurvePruner(min_resource={min_resource}, max_resource={max_resource}):"
                " max_resource must be > min_resource (it is the final step, never a rung)")
        self._lock = threading.Lock()
        self._feed = FinishedFeed()
        self._sign = 1.0
        self._max: int | None = None
        self._pending: list[FrozenTrial] = []  # finished before the full budget was known
        self._refs: list[tuple[Curve, float]] = []  # (curve, signed final value)

    def _sync(self, history: History) -> int | None:
        sign = history.sign()
        new, reset = self._feed.new(history)
        if reset or sign != self._sign:  # another study (or direction): start over
            if not reset:
                self._feed = FinishedFeed()
                new, _ = self._feed.new(history)
            self._sign, self._max, self._refs, self._pending = sign, None, [], []
        if self._max is None:
            # references wait until the full budget is known ("auto": first complete trial)
            self._pending.extend(new)
            max_r = self.max_resource if isinstance(self.max_resource, int) else (
                infer_max_resource(history))
            if max_r is None:
                return None
            self._max, new, self._pending = max_r, self._pending, []
        max_r = self._max
        for t in new:
            if t.state is not TrialState.COMPLETE or not t.intermediate_values:
                continue
            c = Curve.of(t, sign)
            final = c.value_at_first_step_from(max_r)
            if final is not None and not math.isnan(final):
                self._refs.append((c, final))
        return max_r

    def is_reference(self, number: int) -> bool:
        """Whether trial ``number`` is kept unpruned (``reference_fraction``)."""
        return mix64(self.seed, number) < self.reference_fraction * 2.0**64

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        iv = trial.intermediate_values
        if not iv or self.is_reference(trial.number):
            return Decision.CONTINUE
        if self.wrapped is not None:
            if self.wrapped.decide(history, trial) is Decision.CONTINUE:
                return Decision.CONTINUE
            with self._lock:  # the wrapped pruner stops it: keep it only if it may catch up
                if self._sync(history) is None:
                    return Decision.PRUNE  # no references yet: no prediction to veto with
                return Decision.CONTINUE if self._cannot_catch_up(iv) is False else (
                    Decision.PRUNE)
        steps = sorted(iv)
        prev = steps[-2] if len(steps) > 1 else -1
        with self._lock:
            max_r = self._sync(history)
            if max_r is None:
                return Decision.CONTINUE
            rungs = rung_steps(self.min_resource, self.reduction_factor, 0, max_r)
            if not any(prev < r <= steps[-1] for r in rungs):
                return Decision.CONTINUE
            return Decision.PRUNE if self._cannot_catch_up(iv) else Decision.CONTINUE

    def _cannot_catch_up(self, iv: Mapping[int, float]) -> bool | None:
        """Whether even the optimistic prediction is worse than the ``top_k``-th best final
        (``None``: no prediction, too few references). The references must be synced
        (:meth:`_sync`) for this decision's history first."""
        if len(self._refs) < self.min_reference:
            return None
        sign = self._sign
        steps = sorted(iv)
        last = sign * float(iv[steps[-1]])
        if math.isnan(last):
            return True
        own = [(s, sign * float(iv[s])) for s in steps]
        own = [(s, v) for s, v in own if not math.isnan(v)]
        refs: list[tuple[list[float], float]] = []
        for c, final in self._refs:
            at = [c.value_at_first_step_from(s) for s, _ in own]
            vals = [v for v in at if v is not None and not math.isnan(v)]
            if len(vals) == len(at):
                refs.append((vals, final))
        if len(refs) < self.min_reference:
            return None
        partial = [v for _, v in own]
        best = optimistic_prediction(partial, refs, self.n_neighbors) - self.margin
        return best > kth_best([f for _, f in self._refs], self.top_k)

    def __repr__(self) -> str:
        return (f"LearningCurvePruner(min_resource={self.min_resource}, "
                f"max_resource={self.max_resource!r}, reduction_factor={self.reduction_factor}, "
                f"n_neighbors={self.n_neighbors}, top_k={self.top_k}, "
                f"min_reference={self.min_reference}, margin={self.margin}, "
                f"reference_fraction={self.reference_fraction}, seed={self.seed}, "
                f"wrapped={self.wrapped!r})")
