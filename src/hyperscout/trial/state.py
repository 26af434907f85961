"""Trial states and the transitions allowed between them."""

from __future__ import annotations

import enum


class TrialState(enum.Enum):
    """Life cycle of a trial.

    ``WAITING`` (enqueued, not started) -> ``RUNNING`` -> one of ``COMPLETE``, ``PRUNED``,
    ``FAIL``. A finished trial never changes again.
    """

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETE = "complete"
    PRUNED = "pruned"
    FAIL = "fail"

    @property
    def is_finished(self) -> bool:
        return self in _FINISHED

    @classmethod
    def parse(cls, value: TrialState | str) -> TrialState:
        """Accept a state or its name, case-insensitively ("fail", "COMPLETE", ...)."""
        if isinstance(value, TrialState):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"state={value!r} is not a trial state; use one of: {names}") from None


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL})

ALLOWED_TRANSITIONS: dict[TrialState, frozenset[TrialState]] = {
    TrialState.WAITING: frozenset({TrialState.RUNNING, TrialState.FAIL}),
    TrialState.RUNNING: _FINISHED,
    TrialState.COMPLETE: frozenset(),
    TrialState.PRUNED: frozenset(),
    TrialState.FAIL: frozenset(),
}


def can_transition(old: TrialState, new: TrialState) -> bool:
    """Whether a trial in state ``old`` may move to ``new``."""
    return new in ALLOWED_TRANSITIONS[old]
