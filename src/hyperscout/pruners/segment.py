"""Pause a trial at the end of the segment its sampler assigned (pause-and-resume schedules).

Samplers that schedule training in segments (:class:`~hyperscout.samplers.PromotionASHASampler`)
store the step at which a trial's segment ends in its system attributes
(``"sampler:segment_stop_at"``). :class:`SegmentPruner` stops the trial at its first report at
or after that step; the trial ends as ``PRUNED`` (paused), its checkpoint can be resumed by a
later trial. A trial without the attribute is never stopped.
"""

from __future__ import annotations

from typing import ClassVar

from hyperscout.history import History
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.trial.record import FrozenTrial

#: The system attribute (as stored, with the sampler-state prefix) holding a segment's last step.
STOP_AT_KEY = "sampler:segment_stop_at"


class SegmentPruner(Pruner):
    """Stop (pause) a trial once it reports at or after its segment's last step.

    The decision reads only the trial itself: no history, no storage read per report.

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.RUNNING,
        ...     intermediate_values={8: 0.5}, system_attrs={"sampler:segment_stop_at": 9})
        >>> SegmentPruner().decide(None, t)
        <Decision.CONTINUE: 'continue'>
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.RUNNING,
        ...     intermediate_values={9: 0.6}, system_attrs={"sampler:segment_stop_at": 9})
        >>> SegmentPruner().decide(None, t)
        <Decision.PRUNE: 'prune'>
    """

    needs_history: ClassVar[bool] = False
    needs_running: ClassVar[bool] = False

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        stop_at = trial.system_attrs.get(STOP_AT_KEY)
        if stop_at is None or trial.last_step is None:
            return Decision.CONTINUE
        return Decision.PRUNE if trial.last_step >= stop_at else Decision.CONTINUE
