"""Threshold pruner: stop a trial whose reported value leaves ``[lower, upper]`` (or is nan)."""

from __future__ import annotations

import math
from typing import ClassVar

from hyperscout.history import History
from hyperscout.pruners._curves import check_int, is_first_report_in_interval
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.trial.record import FrozenTrial


class ThresholdPruner(Pruner):
    """Prune when the latest reported value is below ``lower``, above ``upper``, or nan.

    Needs no history (the decision looks at the trial alone), so it costs nothing per call.
    Checked at the first report at or after each ``n_warmup_steps + k * interval_steps``.

    Args:
        lower: Values below this are pruned (``None``: no lower bound).
        upper: Values above this are pruned (``None``: no upper bound).
        n_warmup_steps: Steps before a trial can be pruned.
        interval_steps: Check every this many steps.

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.RUNNING,
        ...                       intermediate_values={0: 0.5, 1: 3.0})
        >>> ThresholdPruner(upper=1.0).decide(None, t)
        <Decision.PRUNE: 'prune'>
    """

    needs_history: ClassVar[bool] = False

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        *,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        if lower is None and upper is None:
            raise ValueError("ThresholdPruner(lower=None, upper=None): give lower, upper or both")
        for nm, v in (("lower", lower), ("upper", upper)):
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v)
            ):
                raise ValueError(f"ThresholdPruner({nm}={v!r}): must be a number or None")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(
                f"ThresholdPruner(lower={lower}, upper={upper}): lower must be <= upper"
            )
        self.lower = -math.inf if lower is None else float(lower)
        self.upper = math.inf if upper is None else float(upper)
        self.n_warmup_steps = check_int("ThresholdPruner", "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int("ThresholdPruner", "interval_steps", interval_steps, 1)

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        iv = trial.intermediate_values
        if not iv:
            return Decision.CONTINUE
        steps = sorted(iv)
        if not is_first_report_in_interval(steps, self.n_warmup_steps, self.interval_steps):
            return Decision.CONTINUE
        v = float(iv[steps[-1]])
        if math.isnan(v) or v < self.lower or v > self.upper:
            return Decision.PRUNE
        return Decision.CONTINUE

    def __repr__(self) -> str:
        return f"ThresholdPruner(lower={self.lower}, upper={self.upper})"
