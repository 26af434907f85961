"""A prior study's observations expressed in the current joint space (shared by the models)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hyperscout.space.codec import SpaceCodec
from hyperscout.space.distributions import Distribution
from hyperscout.transfer.prior import PriorStudy, match_params


@dataclass(frozen=True)
class PriorRows:
    """The rows of one prior that fit the current space.

    Attributes:
        names: The current parameters the prior informs (its *active* parameters); the prior's
            model is flat along the others.
        params: Matched parameter dicts, each with every active parameter.
        losses: Their values on the minimisation scale.
    """

    names: tuple[str, ...]
    params: tuple[dict, ...]
    losses: np.ndarray

    def codec(self, space: Mapping[str, Distribution], *, onehot: bool) -> SpaceCodec:
        return SpaceCodec({k: space[k] for k in self.names}, onehot=onehot)


def prior_rows(prior: PriorStudy, space: Mapping[str, Distribution],
               min_rows: int = 3) -> PriorRows | None:
    """Match the prior's trials to ``space`` (out-of-range values dropped); ``None`` if fewer
    than ``min_rows`` rows carry over.

    A parameter is active if at least half of the prior's matched trials have it; trials that
    lack an active parameter are left out (conditional parameters of the old study).
    """
    matched = [match_params(t, space, "drop") for t in prior.trials]
    losses = np.array(prior.losses(), dtype=float)
    counts: dict[str, int] = {}
    for m in matched:
        for k in m:
            counts[k] = counts.get(k, 0) + 1
    names = tuple(k for k in space if counts.get(k, 0) * 2 >= max(len(matched), 1)
                  and counts.get(k, 0) > 0)
    if not names:
        return None
    keep = [i for i, m in enumerate(matched) if all(k in m for k in names)]
    if len(keep) < min_rows:
        return None
    params = tuple({k: matched[i][k] for k in names} for i in keep)
    return PriorRows(names, params, losses[keep])


def column_index(full: SpaceCodec, names: tuple[str, ...]) -> np.ndarray:
    """Columns of ``full`` that belong to ``names`` (in ``names`` order)."""
    return np.concatenate([np.arange(full.slices[k].start, full.slices[k].stop) for k in names])
