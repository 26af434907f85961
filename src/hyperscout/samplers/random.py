"""Random search: every parameter drawn independently and uniformly (log-uniformly for log)."""

from __future__ import annotations

from typing import Any, ClassVar

from hyperscout.history import History
from hyperscout.samplers.base import Sampler
from hyperscout.space.distributions import Distribution
from hyperscout.trial.record import FrozenTrial


class RandomSampler(Sampler):
    """Independent uniform sampling; the baseline every other sampler must beat.

    Args:
        seed: An int (reproducible), a numpy Generator, or ``None``.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=20)
        >>> study.best_value < 5
        True
    """

    needs_history: ClassVar[bool] = False

    def sample_one(
        self, history: History, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return distribution.sample(self._rng)
