"""In-memory storage: the default when no storage URL is given. Lives as long as the process."""

from __future__ import annotations

import copy
import datetime as _dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperscout.exceptions import DuplicatedStudyError, StaleTrialError, StudyNotFoundError
from hyperscout.space.distributions import Distribution
from hyperscout.storage.base import Storage, StudySummary
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState, can_transition


@dataclass
class _TrialRow:
    number: int
    trial_id: int
    state: TrialState
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    values: tuple[float, ...] | None = None
    intermediate_values: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: _dt.datetime | None = None
    datetime_complete: _dt.datetime | None = None
    error: str | None = None
    frozen: FrozenTrial | None = None  # cached once finished

    def freeze(self) -> FrozenTrial:
        if self.frozen is not None:
            return self.frozen
        finished = self.state.is_finished
        rec = FrozenTrial.build(
            number=self.number,
            trial_id=self.trial_id,
            state=self.state,
            # a finished row never changes again, so it can be shared without a copy
            params=self.params if finished else dict(self.params),
            distributions=self.distributions if finished else dict(self.distributions),
            values=self.values,
            intermediate_values=(
                self.intermediate_values if finished else dict(self.intermediate_values)
            ),
            user_attrs=self.user_attrs if finished or not self.user_attrs
            else copy.deepcopy(self.user_attrs),
            system_attrs=self.system_attrs if finished or not self.system_attrs
            else copy.deepcopy(self.system_attrs),
            datetime_start=self.datetime_start,
            datetime_complete=self.datetime_complete,
            error=self.error,
        )
        if finished:
            self.frozen = rec
        return rec


@dataclass
class _StudyRow:
    study_id: int
    name: str
    directions: tuple[str, ...]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[_TrialRow] = field(default_factory=list)
    finished: list[FrozenTrial] = field(default_factory=list)
    unfinished: dict[int, _TrialRow] = field(default_factory=dict)
    created: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc))


class InMemoryStorage(Storage):
    """Thread-safe storage in this process's memory.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(storage=InMemoryStorage())
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)
        >>> len(study.trials)
        3
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRow] = {}
        self._names: dict[str, int] = {}
        self._trials: dict[int, tuple[_StudyRow, _TrialRow]] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    # -- studies ----------------------------------------------------------------------------
    def create_study(
        self, name: str, directions: Sequence[str], *, user_attrs: Mapping[str, Any] | None = None
    ) -> int:
        with self._lock:
            if name in self._names:
                raise DuplicatedStudyError(
                    f"a study named {name!r} exists already; pass load_if_exists=True to resume it"
                )
            sid = self._next_study_id
            self._next_study_id += 1
            self._studies[sid] = _StudyRow(sid, name, tuple(directions), dict(user_attrs or {}))
            self._names[name] = sid
            return sid

    def _study(self, study_id: int) -> _StudyRow:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def get_study_id(self, name: str) -> int:
        with self._lock:
            try:
                return self._names[name]
            except KeyError:
                raise StudyNotFoundError(f"no study named {name!r} in this storage") from None

    def get_study_name(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> tuple[str, ...]:
        return self._study(study_id).directions

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for s in self._studies.values():
                complete = [t for t in s.finished if t.state is TrialState.COMPLETE]
                best = None
                if complete and len(s.directions) == 1:
                    sign = 1.0 if s.directions[0] == "minimize" else -1.0
                    best = min(complete, key=lambda t: sign * t.values[0]).values  # type: ignore[index]
                out.append(
                    StudySummary(s.study_id, s.name, s.directions, len(s.trials), best,
                                 s.created, dict(s.user_attrs))
                )
            return out

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            s = self._study(study_id)
            for t in s.trials:
                self._trials.pop(t.trial_id, None)
            del self._names[s.name]
            del self._studies[study_id]

    def get_study_attrs(self, study_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        with self._lock:
            s = self._study(study_id)
            return copy.deepcopy(s.user_attrs), copy.deepcopy(s.system_attrs)

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        with self._lock:
            s = self._study(study_id)
            (s.system_attrs if system else s.user_attrs)[key] = copy.deepcopy(value)

    # -- trials -----------------------------------------------------------------------------
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
        if state not in (TrialState.RUNNING, TrialState.WAITING):
            raise ValueError(f"state={state.name}: a new trial is RUNNING or WAITING")
        now = _dt.datetime.now(_dt.timezone.utc)
        with self._lock:
            s = self._study(study_id)
            row = _TrialRow(
                number=len(s.trials),
                trial_id=self._next_trial_id,
                state=state,
                params=dict(params or {}),
                distributions=dict(distributions or {}),
                user_attrs=copy.deepcopy(dict(user_attrs)) if user_attrs else {},
                system_attrs=copy.deepcopy(dict(system_attrs)) if system_attrs else {},
                datetime_start=now if state is TrialState.RUNNING else None,
            )
            self._next_trial_id += 1
            s.trials.append(row)
            s.unfinished[row.trial_id] = row
            self._trials[row.trial_id] = (s, row)
            return row.freeze()

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._lock:
            s = self._study(study_id)
            for row in s.unfinished.values():  # insertion order = number order
                if row.state is TrialState.WAITING:
                    row.state = TrialState.RUNNING
                    row.datetime_start = _dt.datetime.now(_dt.timezone.utc)
                    return row.freeze()
            return None

    def _row(self, trial_id: int) -> tuple[_StudyRow, _TrialRow]:
        try:
            return self._trials[trial_id]
        except KeyError:
            raise KeyError(f"no trial with id {trial_id}") from None

    @staticmethod
    def _apply(row: _TrialRow, params, distributions, intermediate_values, user_attrs,
               system_attrs) -> None:
        if params:
            row.params.update(params)
        if distributions:
            row.distributions.update(distributions)
        if intermediate_values:
            row.intermediate_values.update(intermediate_values)
        if user_attrs:
            row.user_attrs.update(copy.deepcopy(dict(user_attrs)))
        if system_attrs:
            row.system_attrs.update(copy.deepcopy(dict(system_attrs)))

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
        with self._lock:
            _, row = self._row(trial_id)
            if row.state is not TrialState.RUNNING:
                raise StaleTrialError(
                    f"trial {row.number} is {row.state.name}, not RUNNING; it cannot be updated"
                )
            self._apply(row, params, distributions, intermediate_values, user_attrs, system_attrs)

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
        if not state.is_finished:
            raise ValueError(f"state={state.name}: finish_trial needs COMPLETE, PRUNED or FAIL")
        with self._lock:
            s, row = self._row(trial_id)
            if not can_transition(row.state, state):
                raise StaleTrialError(
                    f"trial {row.number} is already {row.state.name}; it cannot become {state.name}"
                )
            self._apply(row, params, distributions, intermediate_values, user_attrs, system_attrs)
            row.values = tuple(float(v) for v in values) if values is not None else None
            row.error = error
            row.state = state
            row.datetime_complete = _dt.datetime.now(_dt.timezone.utc)
            if row.datetime_start is None:
                row.datetime_start = row.datetime_complete
            del s.unfinished[trial_id]
            rec = row.freeze()
            s.finished.append(rec)
            return rec

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._row(trial_id)[1].freeze()

    def get_trials(
        self, study_id: int, states: Sequence[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            rows = self._study(study_id).trials
            if states is not None:
                wanted = set(states)
                rows = [r for r in rows if r.state in wanted]
            return [r.freeze() for r in rows]

    def read_finished(self, study_id: int, cursor: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            fin = self._study(study_id).finished
            return fin[cursor:], len(fin)

    def get_unfinished_trials(self, study_id: int) -> list[FrozenTrial]:
        with self._lock:
            return [r.freeze() for r in self._study(study_id).unfinished.values()]

    def n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        with self._lock:
            s = self._study(study_id)
            if states is None:
                return len(s.trials)
            wanted = set(states)
            return sum(1 for r in s.trials if r.state in wanted)
