"""Stop conditions for ``Study.optimize``: checked after every finished trial."""

from __future__ import annotations

import abc
import math

from hyperscout.history import History


class StopCondition(abc.ABC):
    """Decides from the history whether the optimization should stop."""

    @abc.abstractmethod
    def should_stop(self, history: History) -> bool: ...


class TargetValue(StopCondition):
    """Stop once the best value reaches ``target`` (``<=`` when minimizing, ``>=`` maximizing).

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(direction="maximize", seed=0)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1000,
        ...                stop=[TargetValue(0.9)])
        >>> len(study.trials) < 1000 and study.best_value >= 0.9
        True
    """

    def __init__(self, target: float) -> None:
        if not math.isfinite(target):
            raise ValueError(f"TargetValue(target={target}): target must be finite")
        self.target = float(target)

    def should_stop(self, history: History) -> bool:
        best = history.best_trial
        if best is None:
            return False
        return history.sign() * best.values[0] <= history.sign() * self.target  # type: ignore[index]

    def __repr__(self) -> str:
        return f"TargetValue({self.target})"


class NoImprovement(StopCondition):
    """Stop when the last ``patience`` complete trials did not improve the best by ``min_delta``.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(seed=0)
        >>> study.optimize(lambda t: 1.0, n_trials=100, stop=[NoImprovement(patience=5)])
        >>> len(study.trials)
        6
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        if patience < 1:
            raise ValueError(f"NoImprovement(patience={patience}): patience must be >= 1")
        if min_delta < 0:
            raise ValueError(f"NoImprovement(min_delta={min_delta}): min_delta must be >= 0")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self._scanned = 0  # complete trials folded into _best_head (the history is append-only)
        self._best_head = math.inf
        self._first: object = None  # the first complete trial of the history scanned

    def should_stop(self, history: History) -> bool:
        complete = history.complete()
        n_head = len(complete) - self.patience
        if n_head <= 0:
            return False
        if n_head < self._scanned or complete[0] is not self._first:  # another history: restart
            self._scanned, self._best_head, self._first = 0, math.inf, complete[0]
        s = history.sign()
        for t in complete[self._scanned : n_head]:
            self._best_head = min(self._best_head, s * t.values[0])  # type: ignore[index]
        self._scanned = n_head
        best_recent = min(s * t.values[0] for t in complete[n_head:])  # type: ignore[index]
        return not (best_recent < self._best_head - self.min_delta)

    def __repr__(self) -> str:
        return f"NoImprovement(patience={self.patience}, min_delta={self.min_delta})"
