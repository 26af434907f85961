"""History: the read-only view of a study that samplers, pruners and stop conditions get."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

if TYPE_CHECKING:
    from hyperscout.space.distributions import Distribution

Direction = Literal["minimize", "maximize"]


class History:
    """An immutable snapshot of a study's trials.

    Finished trials come from an append-only list shared with the storage cache (finished trials
    never change), so taking a snapshot costs O(1) regardless of the study's size; only the
    running trials are copied.

    Args:
        directions: ``"minimize"`` or ``"maximize"`` per objective.
        finished: The study's finished trials, in the order they finished (append-only).
        n_finished: How many entries of ``finished`` belong to this snapshot.
        running: Trials running or waiting at the time of the snapshot.

    Example:
        >>> from hyperscout.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0])
        >>> h = History(["minimize"], [t], 1, [])
        >>> h.n_complete, h.best_trial.number
        (1, 0)
    """

    __slots__ = ("directions", "_finished", "_n", "running", "_complete_cache")

    def __init__(
        self,
        directions: Sequence[Direction],
        finished: list[FrozenTrial],
        n_finished: int,
        running: Sequence[FrozenTrial],
    ) -> None:
        self.directions: tuple[Direction, ...] = tuple(directions)
        self._finished = finished
        self._n = n_finished
        self.running: tuple[FrozenTrial, ...] = tuple(running)
        self._complete_cache: list[FrozenTrial] | None = None

    @property
    def is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def n_finished(self) -> int:
        return self._n

    def finished(self) -> Sequence[FrozenTrial]:
        """Finished trials (complete, pruned, failed) in the order they finished."""
        return self._finished[: self._n]

    def iter_finished(self) -> Iterator[FrozenTrial]:
        for i in range(self._n):
            yield self._finished[i]

    def complete(self) -> list[FrozenTrial]:
        """Complete trials, in the order they finished."""
        if self._complete_cache is None:
            self._complete_cache = [
                t for t in self.iter_finished() if t.state is TrialState.COMPLETE
            ]
        return self._complete_cache

    def with_state(self, *states: TrialState) -> list[FrozenTrial]:
        wanted = set(states)
        out = [t for t in self.iter_finished() if t.state in wanted]
        out.extend(t for t in self.running if t.state in wanted)
        return out

    @property
    def n_complete(self) -> int:
        return len(self.complete())

    def all(self) -> list[FrozenTrial]:
        """Every trial of the snapshot, ordered by trial number."""
        return sorted([*self.iter_finished(), *self.running], key=lambda t: t.number)

    def distributions(self) -> dict[str, Distribution]:
        """The latest distribution seen for each parameter name (finished then running trials)."""
        out: dict[str, Distribution] = {}
        for t in self.iter_finished():
            out.update(t.distributions)
        for t in self.running:
            out.update(t.distributions)
        return out

    def sign(self, objective: int = 0) -> float:
        """+1 for minimize, -1 for maximize: ``sign * value`` is always to be minimized."""
        return 1.0 if self.directions[objective] == "minimize" else -1.0

    @property
    def best_trial(self) -> FrozenTrial | None:
        """The best feasible complete trial of a single-objective study (``None`` if there is
        none); a trial whose stored constraints are violated is never best."""
        if self.is_multi_objective:
            raise ValueError("best_trial is for single-objective studies; use best_trials")
        from hyperscout.multiobjective.constraints import is_feasible

        complete = [t for t in self.complete() if is_feasible(t)]
        if not complete:
            return None
        s = self.sign()
        return min(complete, key=lambda t: s * t.values[0])  # type: ignore[index]
