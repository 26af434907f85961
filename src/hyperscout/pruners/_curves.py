"""Shared helpers of the pruners: learning curves as sorted arrays, and an incremental feed.

A pruner is called after every report, so it must not rescan the study each time. Finished
trials never change, so every pruner keeps a :class:`FinishedFeed`: a cursor into the history's
append-only list of finished trials that hands out only the trials finished since the last call.
Per-call work is then bounded by the number of running trials plus the new finished ones.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hyperscout.history import History
from hyperscout.trial.record import FrozenTrial


@dataclass(frozen=True)
class Curve:
    """A trial's reports: steps ascending, the signed values (``sign * value``: smaller is
    better) at those steps, and the running best of them (nan ignored; nan until a number)."""

    number: int
    steps: tuple[int, ...]
    values: tuple[float, ...]
    best: tuple[float, ...]

    @staticmethod
    def of(trial: FrozenTrial, sign: float) -> Curve:
        return curve_from(trial.number, trial.intermediate_values, sign)

    def value_at_first_step_from(self, step: int) -> float | None:
        """The value at the first report at or after ``step`` (``None`` if it never got there):
        a trial's result at a rung."""
        i = bisect_left(self.steps, step)
        return None if i == len(self.steps) else self.values[i]

    def best_up_to(self, step: int) -> float | None:
        """The best value reported at steps ``<= step``, if the trial reached ``step``
        (some report at or after it); else ``None``."""
        if not self.steps or self.steps[-1] < step:
            return None
        i = bisect_right(self.steps, step)
        return self.best[i - 1] if i else None


def curve_from(number: int, intermediate: Mapping[int, float], sign: float) -> Curve:
    steps = tuple(sorted(intermediate))
    values = tuple(sign * float(intermediate[s]) for s in steps)
    best = []
    b = math.nan
    for v in values:
        if not math.isnan(v) and (math.isnan(b) or v < b):
            b = v
        best.append(b)
    return Curve(number, steps, values, tuple(best))


def is_first_report_in_interval(
    steps: Sequence[int], n_warmup_steps: int, interval_steps: int
) -> bool:
    """Whether the last report (``steps`` ascending) is the first one at or after a pruning
    point ``n_warmup_steps + k * interval_steps``: with irregular steps, a trial is checked once
    per interval even if it never reports exactly at a pruning point.

    Example:
        >>> is_first_report_in_interval([0, 3, 5], 0, 5), is_first_report_in_interval([5, 6], 0, 5)
        (True, False)
    """
    step = steps[-1]
    if step < n_warmup_steps:
        return False
    point = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    prev = steps[-2] if len(steps) > 1 else -1
    return prev < point


class FinishedFeed:
    """A cursor into a history's finished trials: :meth:`new` returns those not seen yet.

    Histories of one study share one append-only list, so the cursor survives from one
    snapshot to the next; a history over another list (another study, a hand-made history)
    starts over, and :meth:`new` then reports ``reset=True``.
    """

    __slots__ = ("_src", "_n")

    def __init__(self) -> None:
        self._src: object = None
        self._n = 0

    def new(self, history: History) -> tuple[Sequence[FrozenTrial], bool]:
        src = history._finished  # noqa: SLF001 - the shared append-only list (see History)
        n = history.n_finished
        reset = src is not self._src or n < self._n
        if reset:
            self._src, self._n = src, 0
        out = src[self._n:n]
        self._n = n
        return out, reset


def check_int(owner: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{owner}({name}={value!r}): must be an int >= {minimum}")
    return value


def percentile_of_sorted(xs: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of an ascending sequence.

    Example:
        >>> percentile_of_sorted([1.0, 2.0, 3.0, 4.0], 50.0)
        2.5
    """
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
