"""FrozenTrial: the immutable record of a trial, as storages return it."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hyperscout.space.distributions import Distribution
from hyperscout.trial.state import TrialState

_EMPTY: MappingProxyType = MappingProxyType({})


@dataclass(frozen=True)
class FrozenTrial:
    """An immutable snapshot of one trial.

    Attributes:
        number: Position of the trial in its study (0, 1, 2, ... without gaps).
        trial_id: The storage's identifier (unique across studies).
        state: The trial's :class:`TrialState`.
        params: Parameter values, as the objective received them.
        distributions: The distribution each parameter was drawn from.
        values: Objective values (one per direction) of a complete trial, else ``None``.
        intermediate_values: ``step -> value`` reported with ``trial.report``.
        user_attrs: Attributes set by the user.
        system_attrs: Attributes set by hyperscout (sampler state, enqueue markers, ...).
        datetime_start: When the trial started running (``None`` while waiting).
        datetime_complete: When the trial finished (``None`` while unfinished).
        error: Message and traceback of a failed trial.
    """

    number: int
    trial_id: int
    state: TrialState
    params: MappingProxyType = field(default_factory=lambda: _EMPTY)
    distributions: MappingProxyType = field(default_factory=lambda: _EMPTY)
    values: tuple[float, ...] | None = None
    intermediate_values: MappingProxyType = field(default_factory=lambda: _EMPTY)
    user_attrs: MappingProxyType = field(default_factory=lambda: _EMPTY)
    system_attrs: MappingProxyType = field(default_factory=lambda: _EMPTY)
    datetime_start: _dt.datetime | None = None
    datetime_complete: _dt.datetime | None = None
    error: str | None = None

    @staticmethod
    def build(
        *,
        number: int,
        trial_id: int,
        state: TrialState,
        params: dict[str, Any] | None = None,
        distributions: dict[str, Distribution] | None = None,
        values: tuple[float, ...] | list[float] | None = None,
        intermediate_values: dict[int, float] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        datetime_start: _dt.datetime | None = None,
        datetime_complete: _dt.datetime | None = None,
        error: str | None = None,
    ) -> FrozenTrial:
        """Build a record from plain dicts (they are wrapped read-only, not copied)."""
        return FrozenTrial(
            number=number,
            trial_id=trial_id,
            state=state,
            params=MappingProxyType(params) if params else _EMPTY,
            distributions=MappingProxyType(distributions) if distributions else _EMPTY,
            values=tuple(values) if values is not None else None,
            intermediate_values=(
                MappingProxyType(intermediate_values) if intermediate_values else _EMPTY
            ),
            user_attrs=MappingProxyType(user_attrs) if user_attrs else _EMPTY,
            system_attrs=MappingProxyType(system_attrs) if system_attrs else _EMPTY,
            datetime_start=datetime_start,
            datetime_complete=datetime_complete,
            error=error,
        )

    @property
    def value(self) -> float | None:
        """The single objective value; raises on a multi-objective trial."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise ValueError(
                f"trial {self.number} has {len(self.values)} objective values; use trial.values"
            )
        return self.values[0]

    @property
    def duration(self) -> _dt.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or ``None``."""
        return max(self.intermediate_values) if self.intermediate_values else None

    def __repr__(self) -> str:
        vals = "" if self.values is None else f", values={list(self.values)}"
        return (
            f"FrozenTrial(number={self.number}, state={self.state.name}{vals}, "
            f"params={dict(self.params)})"
        )
