"""The storage interface: the one source of truth every worker shares.

Each event of a trial is one atomic transition:

- ``create_trial``: a new trial with the next gap-free number (RUNNING or WAITING).
- ``claim_waiting_trial``: WAITING -> RUNNING for exactly one caller.
- ``update_trial``: params / intermediate values / attributes of a RUNNING trial, in one write.
- ``finish_trial``: RUNNING -> COMPLETE | PRUNED | FAIL with values and everything still unsaved,
  in one write; a second finish raises :class:`~hyperscout.exceptions.StaleTrialError`.

Work shared by many workers (version 2 of the SQL schema):

- ``set_budget`` / ``get_budget`` / ``stop_study``: the study's budget (trials, deadline, a stop
  flag) lives in the storage, so workers on any machine stop together.
- ``start_trial_within_budget``: take a budget slot and start a trial in one transaction, so
  workers together never start more trials than the budget.
- ``heartbeat`` / ``fail_stale_trials``: running trials say they are alive; a trial silent for
  longer than the grace period is failed (RUNNING -> FAIL, guarded by its last heartbeat, so
  only one noticer acts) and re-queued with the same parameters.

Finished trials never change, so readers cache them: ``read_finished(study_id, cursor)`` returns
only the trials finished after ``cursor`` (a per-study sequence), which keeps reading the history
O(new trials) however large a study grows.
"""

from __future__ import annotations

import abc
import datetime as _dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperscout.space.distributions import Distribution
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState


@dataclass(frozen=True)
class StudySummary:
    """A line about a study, as ``list_studies`` returns it."""

    study_id: int
    name: str
    directions: tuple[str, ...]
    n_trials: int
    best_values: tuple[float, ...] | None
    datetime_start: _dt.datetime | None
    user_attrs: Mapping[str, Any]


@dataclass(frozen=True)
class Budget:
    """The budget a study's workers share.

    ``n_trials``: trials that may be started in total (``None``: no limit), of which ``used``
    are taken; ``deadline``: no trial starts after it (``None``: no deadline); ``stopped``: a
    worker (or ``study.stop()``) asked everyone to stop.
    """

    n_trials: int | None = None
    used: int = 0
    deadline: _dt.datetime | None = None
    stopped: bool = False

    def allows(self, now: _dt.datetime | None) -> bool:
        """Whether one more trial may start at ``now`` (may be ``None`` without a deadline)."""
        if self.stopped:
            return False
        if self.n_trials is not None and self.used >= self.n_trials:
            return False
        return self.deadline is None or (now is not None and now < self.deadline)


_NO_BUDGET = Budget()  # no limit, no deadline, not stopped

#: System attributes linking a retried trial to the one whose heartbeat stopped.
RETRIED_FROM_KEY = "retried_from"
CHECKPOINT_FROM_KEY = "checkpoint_from"
RETRY_COUNT_KEY = "retry_count"
#: Parameters a queued trial must use (the same key as ``hyperscout.trial.handle``).
FIXED_PARAMS_KEY = "fixed_params"


class Storage(abc.ABC):
    """Where studies and trials live. Implementations must be safe to share between threads."""

    # -- studies ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_study(
        self, name: str, directions: Sequence[str], *, user_attrs: Mapping[str, Any] | None = None
    ) -> int:
        """Create a study and return its id; ``DuplicatedStudyError`` if the name is taken."""

    @abc.abstractmethod
    def get_study_id(self, name: str) -> int:
        """Id of the study called ``name``; ``StudyNotFoundError`` if there is none."""

    @abc.abstractmethod
    def get_study_name(self, study_id: int) -> str: ...

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> tuple[str, ...]: ...

    @abc.abstractmethod
    def list_studies(self) -> list[StudySummary]: ...

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None: ...

    @abc.abstractmethod
    def get_study_attrs(self, study_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(user_attrs, system_attrs)`` of a study."""

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        """Set one user (or system) attribute of a study; ``value`` must be JSON-serialisable."""

    # -- trials -----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> FrozenTrial:
        """Create a RUNNING (or WAITING) trial with the next number, atomically."""

    @abc.abstractmethod
    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        """Move the oldest WAITING trial to RUNNING and return it; ``None`` if none waits.

        Exactly one concurrent caller gets a given trial.
        """

    def start_trial(self, study_id: int) -> FrozenTrial:
        """Claim the oldest WAITING trial, or create a RUNNING one if none waits.

        Storages with transactions should override this to do both in one round trip.
        """
        rec = self.claim_waiting_trial(study_id)
        return rec if rec is not None else self.create_trial(study_id)

    @abc.abstractmethod
    def update_trial(
        self,
        trial_id: int,
        *,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        """Add to a RUNNING trial in one write; ``StaleTrialError`` if it is not running."""

    @abc.abstractmethod
    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> FrozenTrial:
        """Finish a RUNNING (or WAITING) trial in one write and return its final record.

        Raises ``StaleTrialError`` if the trial is already finished; the record is unchanged.
        """

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial: ...

    @abc.abstractmethod
    def get_trials(
        self, study_id: int, states: Sequence[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Trials of a study ordered by number, optionally only those in ``states``."""

    @abc.abstractmethod
    def read_finished(self, study_id: int, cursor: int) -> tuple[list[FrozenTrial], int]:
        """Trials finished after ``cursor`` (in finishing order) and the new cursor.

        Start with ``cursor=0``.
        """

    @abc.abstractmethod
    def get_unfinished_trials(self, study_id: int) -> list[FrozenTrial]:
        """RUNNING and WAITING trials of a study, ordered by number."""

    @abc.abstractmethod
    def n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int: ...

    # -- shared budget (process-local defaults; SQLStorage overrides them atomically) --------
    def _budgets(self) -> tuple[threading.Lock, dict[int, Budget]]:
        state = self.__dict__.get("_hs_budgets")
        if state is None:
            state = self.__dict__.setdefault("_hs_budgets", (threading.Lock(), {}))
        return state

    def set_budget(
        self, study_id: int, n_trials: int | None, deadline: _dt.datetime | None
    ) -> Budget:
        """Let ``n_trials`` more trials start (``None``: any number) until ``deadline``, and
        clear the stop flag. Returns the new budget."""
        self.get_study_name(study_id)  # raises for a missing study
        lock, budgets = self._budgets()
        with lock:
            used = budgets.get(study_id, Budget()).used
            b = Budget(None if n_trials is None else used + n_trials, used, deadline, False)
            budgets[study_id] = b
            return b

    def get_budget(self, study_id: int) -> Budget:
        """The study's shared budget."""
        self.get_study_name(study_id)
        lock, budgets = self._budgets()
        with lock:
            return budgets.get(study_id, Budget())

    def stop_study(self, study_id: int) -> None:
        """Ask every worker of the study to stop starting trials."""
        self.get_study_name(study_id)
        lock, budgets = self._budgets()
        with lock:
            b = budgets.get(study_id, Budget())
            budgets[study_id] = Budget(b.n_trials, b.used, b.deadline, True)

    def start_trial_within_budget(
        self, study_id: int, *, heartbeat: bool = False
    ) -> FrozenTrial | None:
        """Take a slot of the study's budget and start a trial (a WAITING one first), in one
        transaction; ``None`` if the budget is spent, the deadline passed or the study was
        stopped. With ``heartbeat``, the trial starts with a heartbeat (see ``heartbeat``)."""
        lock, budgets = self._budgets()
        with lock:
            b = budgets.get(study_id, _NO_BUDGET)
            if not b.allows(_dt.datetime.now(_dt.timezone.utc) if b.deadline else None):
                return None
            budgets[study_id] = Budget(b.n_trials, b.used + 1, b.deadline, b.stopped)
            return self.start_trial(study_id)

    def heartbeat(self, trial_ids: Sequence[int]) -> None:  # noqa: B027 - optional hook
        """Record that the RUNNING trials ``trial_ids`` are alive (no-op for storages that live
        and die with their process, like the in-memory one)."""
        return None

    def fail_stale_trials(
        self, study_id: int, grace_period: float, max_retries: int = 0
    ) -> list[FrozenTrial]:
        """Fail the RUNNING trials whose heartbeat is older than ``grace_period`` seconds, and
        queue a retry of each (same parameters; system attributes ``retried_from`` and
        ``checkpoint_from`` = its number) while it has been retried fewer than
        ``max_retries`` times. Returns the trials this call failed; a trial another worker
        failed first is not among them. The in-memory storage has no heartbeats: ``[]``."""
        return []

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Copy finished trials into the study (new numbers, in order), e.g. to import a study.

        SQL storages insert them in bulk, in one transaction. Returns the stored records.
        """
        out = []
        for t in trials:
            if not t.state.is_finished:
                raise ValueError(f"add_trials: trial {t.number} is {t.state.name}; only finished "
                                 "trials can be added")
            rec = self.create_trial(study_id, params=t.params, distributions=t.distributions,
                                    user_attrs=t.user_attrs, system_attrs=t.system_attrs)
            out.append(self.finish_trial(rec.trial_id, t.state, t.values,
                                         intermediate_values=t.intermediate_values,
                                         error=t.error))
        return out

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (no-op by default)."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
