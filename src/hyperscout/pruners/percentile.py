"""Percentile and median pruners: stop a trial that is worse than most trials were at its step."""

from __future__ import annotations

import math
import threading
from bisect import insort
from typing import ClassVar

from hyperscout.history import History
from hyperscout.pruners._curves import (
    Curve,
    FinishedFeed,
    check_int,
    is_first_report_in_interval,
    percentile_of_sorted,
)
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_MAX_CACHED_STEPS = 4096


class PercentilePruner(Pruner):
    """Prune a trial whose best value so far is worse than the ``percentile`` of complete trials.

    At a trial's report at step ``s``, the trial's best value up to ``s`` is compared with the
    best values up to ``s`` of the complete trials that reached ``s`` (reported at ``s`` or
    later). So with irregular steps, or trials that report at different steps, each complete
    trial counts with the value it had at step ``s`` (its latest report at or before ``s``);
    trials that stopped before ``s`` do not count. "Worse" is above the percentile for
    ``minimize`` and below the ``100 - percentile`` percentile for ``maximize``. A trial whose
    values so far are all nan is pruned.

    The check runs at the first report at or after each pruning point
    ``n_warmup_steps + k * interval_steps``, once ``n_startup_trials`` trials are complete,
    and only if at least ``n_min_trials`` complete trials reached the step.

    Cost: the per-step sorted values of complete trials are cached and grow by insertion as
    trials complete, so a call costs ``O(log n)`` for a step seen before, ``O(n)`` the first
    time a step is asked for.

    Args:
        percentile: In ``[0, 100]``; 50 is the median. Lower prunes more.
        n_startup_trials: Complete trials before any pruning.
        n_warmup_steps: Steps before a trial can be pruned (steps ``< n_warmup_steps`` never).
        interval_steps: Check every this many steps.
        n_min_trials: Complete trials that reached the step, needed to compare.

    Example:
        >>> from hyperscout.history import History
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> done = [FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE,
        ...         values=[v], intermediate_values={0: v}) for i, v in enumerate([1.0, 2.0, 3.0])]
        >>> h = History(["minimize"], done, 3, [])
        >>> t = FrozenTrial.build(number=3, trial_id=3, state=TrialState.RUNNING,
        ...                       intermediate_values={0: 2.5})
        >>> PercentilePruner(25.0, n_startup_trials=3).decide(h, t)  # 25th pct of 1,2,3 = 1.5
        <Decision.PRUNE: 'prune'>
    """

    needs_history: ClassVar[bool] = True
    needs_running: ClassVar[bool] = False  # compares with complete trials only

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        name = type(self).__name__
        if isinstance(percentile, bool) or not isinstance(percentile, (int, float)) or not (
            0.0 <= percentile <= 100.0
        ):
            raise ValueError(f"{name}(percentile={percentile!r}): must be a number in [0, 100]")
        self.percentile = float(percentile)
        self.n_startup_trials = check_int(name, "n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = check_int(name, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int(name, "interval_steps", interval_steps, 1)
        self.n_min_trials = check_int(name, "n_min_trials", n_min_trials, 1)
        self._lock = threading.Lock()
        self._feed = FinishedFeed()
        self._sign = 1.0
        self._curves: list[Curve] = []  # complete trials, signed
        self._by_step: dict[int, list[float]] = {}  # step -> sorted best-up-to-step values

    def _sync(self, history: History) -> None:
        sign = history.sign()
        new, reset = self._feed.new(history)
        if reset or sign != self._sign:
            self._sign = sign
            self._curves = []
            self._by_step = {}
        for t in new:
            if t.state is not TrialState.COMPLETE or not t.intermediate_values:
                continue
            c = Curve.of(t, sign)
            self._curves.append(c)
            for step, vals in self._by_step.items():
                b = c.best_up_to(step)
                if b is not None and not math.isnan(b):
                    insort(vals, b)

    def _values_at(self, step: int) -> list[float]:
        vals = self._by_step.get(step)
        if vals is None:
            if len(self._by_step) >= _MAX_CACHED_STEPS:
                self._by_step.clear()
            bests = (c.best_up_to(step) for c in self._curves)
            vals = sorted(b for b in bests if b is not None and not math.isnan(b))
            self._by_step[step] = vals
        return vals

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        iv = trial.intermediate_values
        if not iv:
            return Decision.CONTINUE
        steps = sorted(iv)
        if not is_first_report_in_interval(steps, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        with self._lock:
            self._sync(history)
            if len(self._curves) < self.n_startup_trials:
                return Decision.CONTINUE
            step = steps[-1]
            best = Curve.of(trial, self._sign).best[-1]
            if math.isnan(best):
                return Decision.PRUNE
            others = self._values_at(step)
            if len(others) < self.n_min_trials:
                return Decision.CONTINUE
            cut = percentile_of_sorted(others, self.percentile)
        return Decision.PRUNE if best > cut else Decision.CONTINUE

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(percentile={self.percentile}, "
                f"n_startup_trials={self.n_startup_trials}, n_warmup_steps={self.n_warmup_steps},"
                f" interval_steps={self.interval_steps}, n_min_trials={self.n_min_trials})")


class MedianPruner(PercentilePruner):
    """Prune a trial whose best value so far is worse than the median of complete trials at its
    step: :class:`PercentilePruner` with ``percentile=50`` (see there for steps and caching).

    Example:
        >>> import hyperscout as hs
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0, 1)
        ...     for step in range(5):
        ...         trial.report(x * (5 - step), step)
        ...         if trial.should_prune():
        ...             raise hs.TrialPruned()
        ...     return x
        >>> study = hs.create_study(pruner=hs.pruners.MedianPruner(n_startup_trials=3), seed=0)
        >>> study.optimize(objective, n_trials=20)
        >>> len(study.get_trials(["pruned"])) > 0
        True
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(50.0, n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps,
                         interval_steps=interval_steps, n_min_trials=n_min_trials)

    def __repr__(self) -> str:
        return (f"MedianPruner(n_startup_trials={self.n_startup_trials}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps}, "
                f"n_min_trials={self.n_min_trials})")
