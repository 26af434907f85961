"""The pruner contract: decide from a read-only history whether a running trial should stop."""

from __future__ import annotations

import abc
import enum
import threading
from typing import ClassVar

from hyperscout.history import History
from hyperscout.trial.record import FrozenTrial


class Decision(enum.Enum):
    """What a pruner decides for a running trial after a report."""

    CONTINUE = "continue"
    PRUNE = "prune"


class Pruner(abc.ABC):
    """Base class of pruners.

    ``decide`` gets the study's history (finished and running trials, each with its intermediate
    values) and the trial asking, and returns a :class:`Decision`. A pruner never writes to storage.
    """

    needs_history: ClassVar[bool] = True
    #: Whether ``decide`` looks at ``history.running``; pruners that compare with finished
    #: trials only say ``False`` and the study skips reading the running trials per report.
    needs_running: ClassVar[bool] = True

    # A pruner may hold a ``threading.Lock`` as ``_lock`` (its caches are shared by threads);
    # a lock cannot be pickled or deep-copied, so copies (process executors, ``copy.deepcopy``,
    # scikit-learn's ``clone`` of an estimator holding a pruner) get a fresh one.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if "_lock" in state:
            state["_lock"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "_lock" in state:
            self._lock = threading.Lock()

    @abc.abstractmethod
    def decide(self, history: History, trial: FrozenTrial) -> Decision: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NopPruner(Pruner):
    """Never prunes (the default).

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.RUNNING)
        >>> NopPruner().decide(None, t)
        <Decision.CONTINUE: 'continue'>
    """

    needs_history: ClassVar[bool] = False

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        return Decision.CONTINUE
