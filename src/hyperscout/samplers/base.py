"""The sampler contract: a pure policy over a read-only history.

A sampler never opens the storage, never sleeps and never spawns. For each trial the study asks
it, in this order:

1. ``infer_space(history)``: the parameters to sample jointly (``{}`` for independent samplers);
2. ``sample_joint(history, trial, space)``: a :class:`Proposal` for those parameters;
3. ``sample_one(history, trial, name, distribution)``: for each parameter the objective asks for
   that is not in the joint proposal (define-by-run, conditional parameters).

State a sampler must share between workers goes back in ``Proposal.state`` (small JSON); the study
stores it in the trial's ``system_attrs`` (under ``"sampler:<key>"``) in the same write as the
trial's parameters.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hyperscout._rng import SeedLike, make_rng
from hyperscout.history import History
from hyperscout.space.distributions import Distribution
from hyperscout.trial.record import FrozenTrial


@dataclass(frozen=True)
class Proposal:
    """What a sampler proposes for a trial: parameter values and state to store with them."""

    params: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)


class Sampler(abc.ABC):
    """Base class of samplers.

    Subclasses implement :meth:`sample_one` and, for joint (multivariate) sampling,
    :meth:`infer_space` and :meth:`sample_joint`.

    Attributes:
        needs_history: ``False`` for samplers that never look at past trials (random, QMC); the
            study then skips building a history snapshot, which saves a storage read per trial.
        proposes_state: ``True`` for samplers whose every proposal carries state that other
            workers decide from (a schedule, a population's lineage); the study then calls
            :meth:`sample_joint` even with an empty joint space and writes the state to the
            storage at once, not with the trial's first report.
    """

    needs_history: ClassVar[bool] = True
    #: ``True`` for samplers whose every proposal carries state (e.g. a schedule): the study
    #: then asks for a proposal even when the joint space is empty (the first trial) and
    #: stores the state at once.
    proposes_state: ClassVar[bool] = False

    def __init__(self, seed: SeedLike = None) -> None:
        self._seed = seed
        self._rng = make_rng(seed)

    def reseed(self, seed: SeedLike) -> None:
        """Restart the random stream from ``seed``."""
        self._seed = seed
        self._rng = make_rng(seed)

    def infer_space(self, history: History) -> dict[str, Distribution]:
        """Parameters to sample jointly for the next trial (none by default)."""
        return {}

    def sample_joint(
        self, history: History, trial: FrozenTrial, space: Mapping[str, Distribution]
    ) -> Proposal:
        """Propose values for ``space`` together (nothing by default)."""
        return Proposal()

    @abc.abstractmethod
    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """Propose a value for one parameter that is not in the joint proposal."""

    def is_exhausted(self, history: History) -> bool:
        """Whether the sampler has nothing left to propose (e.g. a finished grid)."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self._seed!r})"
