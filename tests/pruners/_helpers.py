"""Hand-made trials and histories for pruner tests."""

from __future__ import annotations

from hyperscout.history import History
from hyperscout.trial import FrozenTrial, TrialState

C, P, R = TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING


def tr(number: int, curve: dict[int, float] | list[float], state=C) -> FrozenTrial:
    iv = curve if isinstance(curve, dict) else dict(enumerate(curve))
    values = [list(iv.values())[-1]] if state is C and iv else None
    return FrozenTrial.build(number=number, trial_id=number, state=state, values=values,
                             intermediate_values=dict(iv))


def hist(finished, running=(), direction="minimize") -> History:
    finished = list(finished)
    return History([direction], finished, len(finished), list(running))
