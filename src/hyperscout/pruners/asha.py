"""Asynchronous successive halving (ASHA): promote the top ``1/eta`` of each rung as results arrive.

Rungs: with minimum resource ``r`` (a step), reduction factor ``eta`` and minimum early-stopping
rate ``s``, rung ``k`` sits at step ``r * eta**(s + k)`` (Li et al., "A System for Massively
Parallel Hyperparameter Tuning", MLSys 2020). When a trial's report is the first at or after a
rung's step, its value there is its *rung value*, and it is compared with every other trial of
the study (finished or running) that reached the rung: it continues (is promoted) if fewer than
``max(1, n // eta)`` of the ``n`` rung values (its own included) are strictly better, and is
pruned otherwise. Nothing waits for a rung to fill, so parallel workers never idle; early
trials face few competitors (with ``n < eta`` only the rung's best goes on, as in Optuna).

The decision is a pure function of the trials' reports, so it needs no stored state, is the
same on every worker, and is reproducible for a fixed order of reports. Rung values of finished
trials are cached in sorted lists that grow as trials finish; a call costs ``O(log n)`` plus a
scan of the running trials.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import ClassVar

from hyperscout.history import History
from hyperscout.pruners._curves import Curve, FinishedFeed, check_int
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

Resource = int | str | None


def rung_steps(
    min_resource: int, reduction_factor: int, min_early_stopping_rate: int,
    max_resource: int | None, *, limit: int = 64,
) -> list[int]:
    """The steps of the rungs that can prune: ``r * eta**(s + k)`` below ``max_resource``.

    Example:
        >>> rung_steps(1, 3, 0, 27), rung_steps(1, 3, 1, 27), rung_steps(2, 2, 0, None, limit=4)
        ([1, 3, 9], [3, 9], [2, 4, 8, 16])
    """
    out: list[int] = []
    k = 0
    while len(out) < limit:
        r = min_resource * reduction_factor ** (min_early_stopping_rate + k)
        if max_resource is not None and r >= max_resource:
            break
        out.append(r)
        k += 1
    return out


def infer_min_resource(history: History) -> int | None:
    """``max(1, last_step // 100)`` of the first complete trial with reports (Optuna's rule)."""
    for t in history.iter_finished():
        if t.state is TrialState.COMPLETE and t.intermediate_values:
            return max(1, int(t.last_step) // 100)  # type: ignore[arg-type]
    return None


def infer_max_resource(history: History) -> int | None:
    """The last step of the first complete trial with reports: the full budget, which is never
    a pruning rung (so a trial that trained to the end is never pruned at its last report)."""
    for t in history.iter_finished():
        if t.state is TrialState.COMPLETE and t.intermediate_values:
            return max(1, int(t.last_step))  # type: ignore[arg-type]
    return None


def check_resource(owner: str, name: str, value: Resource, *, allow_none: bool) -> Resource:
    if value == "auto" or (value is None and allow_none):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        extra = ", 'auto' or None" if allow_none else " or 'auto'"
        raise ValueError(f"{owner}({name}={value!r}): must be an int >= 1{extra}")
    return value


class _RungTable:
    """Sorted rung values of finished trials, per ``(group, rung step)``, grown incrementally."""

    def __init__(self) -> None:
        self.feed = FinishedFeed()
        self.sign = 1.0
        self.curves: list[tuple[int, Curve]] = []  # (group, curve) of finished trials
        self.values: dict[tuple[int, int], list[float]] = {}

    def sync(self, history: History, group_of: Callable[[int], int]) -> None:
        sign = history.sign()
        new, reset = self.feed.new(history)
        if reset or sign != self.sign:
            self.sign, self.curves, self.values = sign, [], {}
        for t in new:
            if not t.intermediate_values:
                continue
            g = group_of(t.number)
            c = Curve.of(t, sign)
            self.curves.append((g, c))
            for (gk, step), vals in self.values.items():
                if gk == g:
                    v = c.value_at_first_step_from(step)
                    if v is not None:
                        insort(vals, _key(v))

    def finished_values(self, group: int, step: int) -> list[float]:
        vals = self.values.get((group, step))
        if vals is None:
            vals = sorted(
                _key(v) for g, c in self.curves if g == group
                for v in (c.value_at_first_step_from(step),) if v is not None
            )
            self.values[(group, step)] = vals
        return vals


def _key(v: float) -> float:
    return math.inf if math.isnan(v) else v  # nan ranks last


def promotable(
    value: float, finished_sorted: list[float], running: list[float], eta: int
) -> bool:
    """Whether ``value`` is in the top ``max(1, n // eta)`` of its rung (smaller is better).

    ``finished_sorted`` and ``running`` are the other trials' rung values; ``n`` counts them
    and ``value``. Ties are not "better".

    Example:
        >>> promotable(2.0, [1.0, 3.0, 4.0], [5.0, 6.0], 3)  # n=6: top 2; one better
        True
        >>> promotable(3.5, [1.0, 3.0, 4.0], [5.0, 6.0], 3)  # two better
        False
    """
    if math.isnan(value):
        return False
    n = len(finished_sorted) + len(running) + 1
    top = max(1, n // eta)
    better = bisect_left(finished_sorted, value) + sum(1 for r in running if r < value)
    return better < top


class ASHAPruner(Pruner):
    """Asynchronous successive halving (see the module docstring for the rule).

    Args:
        min_resource: The first rung's step ``r``; ``"auto"``: ``max(1, last_step // 100)`` of
            the first complete trial (no pruning until one is complete).
        max_resource: Steps at or beyond this are never rungs (the full budget); ``"auto"``:
            the last step of the first complete trial; ``None``: no limit (then a trial whose
            last report falls on a rung can be pruned after training to the end).
        reduction_factor: ``eta`` (>= 2): a rung promotes its top ``1/eta``.
        min_early_stopping_rate: ``s`` (>= 0): the first rung is at ``r * eta**s``.

    Example:
        >>> from hyperscout.history import History
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> def t(n, curve, state=TrialState.COMPLETE):
        ...     return FrozenTrial.build(number=n, trial_id=n, state=state,
        ...                              intermediate_values=dict(enumerate(curve, 1)))
        >>> done = [t(0, [0.5, 0.4, 0.3]), t(1, [0.9]), t(2, [0.7])]
        >>> h = History(["minimize"], done, 3, [])
        >>> asha = ASHAPruner(min_resource=1, max_resource=9, reduction_factor=3)
        >>> asha.decide(h, t(3, [0.6], TrialState.RUNNING))   # n=4: only the best (0.5) goes on
        <Decision.PRUNE: 'prune'>
        >>> asha.decide(h, t(3, [0.4], TrialState.RUNNING))
        <Decision.CONTINUE: 'continue'>
    """

    needs_history: ClassVar[bool] = True

    def __init__(
        self,
        *,
        min_resource: int | str = "auto",
        max_resource: int | str | None = None,
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
    ) -> None:
        self.min_resource = check_resource("ASHAPruner", "min_resource", min_resource,
                                           allow_none=False)
        self.max_resource = check_resource("ASHAPruner", "max_resource", max_resource,
                                           allow_none=True)
        self.reduction_factor = check_int("ASHAPruner", "reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = check_int(
            "ASHAPruner", "min_early_stopping_rate", min_early_stopping_rate, 0)
        if isinstance(self.min_resource, int) and isinstance(self.max_resource, int) and (
            self.max_resource < self.min_resource
        ):
            raise ValueError(
                f"ASHAPruner(min_resource={min_resource}, max_resource={max_resource}): "
                "max_resource must be >= min_resource"
            )
        self._lock = threading.Lock()
        self._table = _RungTable()

    def _resources(self, history: History) -> tuple[int | None, int | None, bool]:
        r = self.min_resource if isinstance(self.min_resource, int) else (
            infer_min_resource(history))
        if self.max_resource == "auto":
            m = infer_max_resource(history)
            return r, m, m is not None
        return r, self.max_resource, True  # type: ignore[return-value]

    def rungs(self, history: History) -> list[int]:
        """The rung steps in effect for this history (``[]`` while a resource is unknown)."""
        r, m, known = self._resources(history)
        if r is None or not known:
            return []
        return rung_steps(r, self.reduction_factor, self.min_early_stopping_rate, m)

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        with self._lock:
            return decide_rungs(history, trial, self.rungs(history), self.reduction_factor,
                                self._table, lambda n: 0)

    def __repr__(self) -> str:
        return (f"ASHAPruner(min_resource={self.min_resource!r}, "
                f"max_resource={self.max_resource!r}, reduction_factor={self.reduction_factor}, "
                f"min_early_stopping_rate={self.min_early_stopping_rate})")


def decide_rungs(
    history: History,
    trial: FrozenTrial,
    rungs: list[int],
    eta: int,
    table: _RungTable,
    group_of: Callable[[int], int],
) -> Decision:
    """The ASHA decision for ``trial``'s latest report, against trials of its group only."""
    iv = trial.intermediate_values
    if not iv or not rungs:
        return Decision.CONTINUE
    steps = sorted(iv)
    step = steps[-1]
    prev = steps[-2] if len(steps) > 1 else -1
    crossed = [r for r in rungs if prev < r <= step]
    if not crossed:
        return Decision.CONTINUE
    table.sync(history, group_of)
    sign = table.sign
    group = group_of(trial.number)
    value = sign * float(iv[step])
    running = [Curve.of(t, sign) for t in history.running
               if t.number != trial.number and t.intermediate_values
               and group_of(t.number) == group]
    for r in crossed:
        others = [_key(v) for c in running for v in (c.value_at_first_step_from(r),)
                  if v is not None]
        if not promotable(value, table.finished_values(group, r), others, eta):
            return Decision.PRUNE
    return Decision.CONTINUE
