"""Patient pruner: let a trial go on while it still improves; ask the wrapped pruner otherwise."""

from __future__ import annotations

import math

from hyperscout.history import History
from hyperscout.pruners._curves import check_int
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.trial.record import FrozenTrial


class PatientPruner(Pruner):
    """Prune only a trial that has not improved for ``patience`` reports.

    With reports ``v_1..v_n`` (by step), the trial *stagnates* when none of the last
    ``patience`` values beats the best earlier value by more than ``min_delta`` (Keras'
    ``EarlyStopping`` rule; direction-aware; nan never improves). A stagnating trial is pruned
    if the wrapped pruner says so (or always, with ``wrapped=None``); an improving one always
    continues.

    Args:
        wrapped: The pruner to ask when stagnating (``None``: prune on stagnation alone).
        patience: Reports without improvement before stagnation (>= 1).
        min_delta: How much better a value must be to count as an improvement (>= 0).

    Example:
        >>> from hyperscout.history import History
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> h = History(["minimize"], [], 0, [])
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.RUNNING,
        ...                       intermediate_values={0: 1.0, 1: 0.5, 2: 0.6, 3: 0.55})
        >>> PatientPruner(None, patience=2).decide(h, t)
        <Decision.PRUNE: 'prune'>
        >>> PatientPruner(None, patience=3).decide(h, t)  # 1.0 -> 0.5 is within the last 3
        <Decision.CONTINUE: 'continue'>
    """

    def __init__(
        self, wrapped: Pruner | None, *, patience: int, min_delta: float = 0.0
    ) -> None:
        if wrapped is not None and not isinstance(wrapped, Pruner):
            raise TypeError(f"PatientPruner(wrapped={wrapped!r}): must be a Pruner or None")
        self.wrapped = wrapped
        self.patience = check_int("PatientPruner", "patience", patience, 1)
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not (
            min_delta >= 0
        ):
            raise ValueError(f"PatientPruner(min_delta={min_delta!r}): must be a number >= 0")
        self.min_delta = float(min_delta)
        # per instance: the wrapped pruner's needs are this one's
        self.needs_history = (  # type: ignore[misc]
            wrapped.needs_history if wrapped is not None else False)
        self.needs_running = (  # type: ignore[misc]
            wrapped.needs_running if wrapped is not None else False)

    def _stagnating(self, trial: FrozenTrial, sign: float) -> bool:
        iv = trial.intermediate_values
        if len(iv) <= self.patience:
            return False
        vals = [sign * float(iv[s]) for s in sorted(iv)]
        before = [v for v in vals[: -self.patience] if not math.isnan(v)]
        after = [v for v in vals[-self.patience:] if not math.isnan(v)]
        if not before:
            return not after  # only nan so far and lately: no progress
        return not after or min(after) >= min(before) - self.min_delta

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        sign = history.sign() if history is not None else 1.0
        if not self._stagnating(trial, sign):
            return Decision.CONTINUE
        if self.wrapped is None:
            return Decision.PRUNE
        return self.wrapped.decide(history, trial)

    def __repr__(self) -> str:
        return (f"PatientPruner({self.wrapped!r}, patience={self.patience}, "
                f"min_delta={self.min_delta})")
