"""Hyperband over asynchronous successive halving: several brackets, each an ASHA.

With ``R = max_resource / min_resource`` and ``eta``, there are ``B = floor(log_eta R) + 1``
brackets; bracket ``b`` runs ASHA with minimum early-stopping rate ``b``, so bracket 0 prunes
from the first rung and bracket ``B - 1`` never prunes (Li et al., "Hyperband", JMLR 2018;
the asynchronous form of Li et al. 2020). Bracket ``B - 1`` is Hyperband's ``s = 0`` bracket,
its trials trained on the full budget, also when ``R`` is not a power of ``eta``: with
``min_resource=1, max_resource=52, eta=3`` its ASHA rung would sit at 27, so it has no rungs
(before 2026-11-24 it pruned at 27, as Optuna's ``HyperbandPruner`` does).

Each trial belongs to one bracket, a pure function of its number and the seed: a 64-bit mix of
``(seed, number)`` modulo the total budget picks the bracket, with bracket ``b`` weighted by
``ceil(B * eta**(B-1-b) / (B-b))`` (Optuna's allocation: the number of trials Hyperband starts
in that bracket). So every worker agrees on a trial's bracket without shared state, and a
trial competes only with trials of its bracket. Brackets are fixed once the resources are
known (with ``max_resource="auto"``: when the first trial completes; no pruning before).
"""

from __future__ import annotations

import math
import threading
from typing import ClassVar, cast

from hyperscout.history import History
from hyperscout.pruners._curves import check_int
from hyperscout.pruners.asha import (
    _RungTable,
    check_resource,
    decide_rungs,
    infer_max_resource,
    rung_steps,
)
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.trial.record import FrozenTrial

_MASK = (1 << 64) - 1


def mix64(seed: int, number: int) -> int:
    """SplitMix64 of ``(seed, number)``: a stable hash, the same in every process.

    Example:
        >>> mix64(0, 1) == mix64(0, 1) != mix64(1, 1)
        True
    """
    z = (seed * 0x9E3779B97F4A7C15 + number + 1) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def n_brackets(min_resource: int, max_resource: int, eta: int) -> int:
    """``floor(log_eta(max / min)) + 1`` (computed exactly on integers).

    Example:
        >>> n_brackets(1, 27, 3), n_brackets(1, 26, 3), n_brackets(1, 1, 3)
        (4, 3, 1)
    """
    b = 0
    while min_resource * eta ** (b + 1) <= max_resource:
        b += 1
    return b + 1


def bracket_budgets(n: int, eta: int) -> list[int]:
    """Weight of each bracket ``b``: ``ceil(n * eta**s / (s + 1))`` with ``s = n - 1 - b``.

    Example:
        >>> bracket_budgets(4, 3)
        [27, 12, 6, 4]
    """
    return [math.ceil(n * eta ** (n - 1 - b) / (n - b)) for b in range(n)]


class HyperbandPruner(Pruner):
    """Asynchronous Hyperband (see the module docstring).

    Args:
        min_resource: The smallest rung's step (>= 1).
        max_resource: The full budget in steps; ``"auto"``: the last step of the first complete
            trial.
        reduction_factor: ``eta`` (>= 2).
        seed: Seeds the trial-to-bracket assignment.

    Example:
        >>> hb = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3, seed=0)
        >>> hb.brackets(None), [hb.rungs_of(b, None) for b in range(4)]
        (4, [[1, 3, 9], [3, 9], [9], []])
        >>> sorted({hb.bracket_of(n, None) for n in range(100)})
        [0, 1, 2, 3]
    """

    needs_history: ClassVar[bool] = True

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int | str = "auto",
        reduction_factor: int = 3,
        seed: int = 0,
    ) -> None:
        min_res = check_resource("HyperbandPruner", "min_resource", min_resource,
                                 allow_none=False)
        if min_res == "auto":
            raise ValueError("HyperbandPruner(min_resource='auto'): give an int >= 1")
        # check_resource(allow_none=False) returns "auto" (rejected above) or an int >= 1
        self.min_resource = cast(int, min_res)
        self.max_resource = check_resource("HyperbandPruner", "max_resource", max_resource,
                                           allow_none=False)
        self.reduction_factor = check_int("HyperbandPruner", "reduction_factor",
                                          reduction_factor, 2)
        self.seed = check_int("HyperbandPruner", "seed", seed, 0)
        if isinstance(self.max_resource, int) and self.max_resource < self.min_resource:
            raise ValueError(
                f"HyperbandPruner(min_resource={min_resource}, max_resource={max_resource}): "
                "max_resource must be >= min_resource"
            )
        self._lock = threading.Lock()
        self._table = _RungTable()
        self._max: int | None = self.max_resource if isinstance(self.max_resource, int) else None

    def _max_resource(self, history: History | None) -> int | None:
        if self._max is None and history is not None:
            self._max = infer_max_resource(history)  # fixed once known: brackets never move
        return self._max

    def brackets(self, history: History | None) -> int | None:
        """How many brackets (``None`` while ``max_resource`` is not known yet)."""
        m = self._max_resource(history)
        if m is None:
            return None
        return n_brackets(self.min_resource, m, self.reduction_factor)

    def bracket_of(self, number: int, history: History | None) -> int | None:
        """The bracket of trial ``number`` (a pure function of number and seed)."""
        n = self.brackets(history)
        if n is None:
            return None
        budgets = bracket_budgets(n, self.reduction_factor)
        h = mix64(self.seed, number) % sum(budgets)
        for b, w in enumerate(budgets):
            if h < w:
                return b
            h -= w
        return n - 1  # unreachable

    def rungs_of(self, bracket: int, history: History | None) -> list[int]:
        """The rung steps of ``bracket``; the last bracket has none (it never prunes)."""
        m = self._max_resource(history)
        if m is None or bracket == self.brackets(history) - 1:  # type: ignore[operator]
            return []
        return rung_steps(self.min_resource, self.reduction_factor, bracket, m)

    def decide(self, history: History, trial: FrozenTrial) -> Decision:
        with self._lock:
            b = self.bracket_of(trial.number, history)
            if b is None:
                return Decision.CONTINUE
            return decide_rungs(
                history, trial, self.rungs_of(b, history), self.reduction_factor, self._table,
                lambda n: self.bracket_of(n, history),  # type: ignore[arg-type,return-value]
            )

    def __repr__(self) -> str:
        return (f"HyperbandPruner(min_resource={self.min_resource}, "
                f"max_resource={self.max_resource!r}, reduction_factor={self.reduction_factor},"
                f" seed={self.seed})")
