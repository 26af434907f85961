"""The storage interface: the one source of truth every worker shares.

Each event of a trial is one atomic transition:

- ``create_trial``: a new trial with the next gap-free number (RUNNING or WAITING).
- ``claim_waiting_trial``: WAITING -> RUNNING for exactly one caller.
- ``update_trial``: params / intermediate values / attributes of a RUNNING trial, in one write.
- ``finish_trial``: RUNNING -> COMPLETE | PRUNED | FAIL with values and everything still unsaved,
  in one write; a second finish raises :class:`~hyperscout.exceptions.StaleTrialError`.

Finished trials never change, so readers cache them: ``read_finished(study_id, cursor)`` returns
only the trials finished after ``cursor`` (a per-study sequence), which keeps reading the history
O(new trials) however large a study grows.
"""

from __future__ import annotations

import abc
import datetime as _dt
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

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (no-op by default)."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
