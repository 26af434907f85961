"""Samplers: the search strategies."""

from __future__ import annotations

from collections.abc import Sequence

from hyperscout._rng import SeedLike
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.samplers.cmaes import CmaEsSampler
from hyperscout.samplers.forest import ForestSampler
from hyperscout.samplers.ga import GASampler
from hyperscout.samplers.gp import GPSampler
from hyperscout.samplers.grid import GridSampler
from hyperscout.samplers.qmc import QMCSampler
from hyperscout.samplers.random import RandomSampler
from hyperscout.samplers.tpe import TPESampler

__all__ = [
    "CmaEsSampler",
    "ForestSampler",
    "GASampler",
    "GPSampler",
    "GridSampler",
    "Proposal",
    "QMCSampler",
    "RandomSampler",
    "Sampler",
    "TPESampler",
    "default_sampler",
]


def default_sampler(seed: SeedLike = None, directions: Sequence[str] = ("minimize",)) -> Sampler:
    """The sampler ``create_study`` uses when none is given."""
    return RandomSampler(seed=seed)
