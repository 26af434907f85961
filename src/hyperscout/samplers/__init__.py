"""Samplers: the search strategies.

``import hyperscout`` stays light: the model-based samplers (and scipy, which they need) are
imported the first time one of them is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperscout._rng import SeedLike
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.samplers.random import RandomSampler

if TYPE_CHECKING:
    from hyperscout.samplers.auto import AutoSampler
    from hyperscout.samplers.cmaes import CmaEsSampler
    from hyperscout.samplers.forest import ForestSampler
    from hyperscout.samplers.ga import GASampler
    from hyperscout.samplers.gp import GPSampler, ParEGOSampler
    from hyperscout.samplers.grid import GridSampler
    from hyperscout.samplers.multifidelity import MultiFidelityGPSampler, MultiFidelityTPESampler
    from hyperscout.samplers.nsga import NSGAIIISampler, NSGAIISampler
    from hyperscout.samplers.pbt import PBTSampler
    from hyperscout.samplers.promotion import PromotionASHASampler
    from hyperscout.samplers.qmc import QMCSampler
    from hyperscout.samplers.tpe import TPESampler

_LAZY = {
    "AutoSampler": "hyperscout.samplers.auto",
    "CmaEsSampler": "hyperscout.samplers.cmaes",
    "ForestSampler": "hyperscout.samplers.forest",
    "GASampler": "hyperscout.samplers.ga",
    "GPSampler": "hyperscout.samplers.gp",
    "GridSampler": "hyperscout.samplers.grid",
    "MultiFidelityGPSampler": "hyperscout.samplers.multifidelity",
    "MultiFidelityTPESampler": "hyperscout.samplers.multifidelity",
    "NSGAIISampler": "hyperscout.samplers.nsga",
    "NSGAIIISampler": "hyperscout.samplers.nsga",
    "PBTSampler": "hyperscout.samplers.pbt",
    "PromotionASHASampler": "hyperscout.samplers.promotion",
    "ParEGOSampler": "hyperscout.samplers.gp",
    "QMCSampler": "hyperscout.samplers.qmc",
    "TPESampler": "hyperscout.samplers.tpe",
}

__all__ = [
    "AutoSampler",
    "CmaEsSampler",
    "ForestSampler",
    "GASampler",
    "GPSampler",
    "GridSampler",
    "MultiFidelityGPSampler",
    "MultiFidelityTPESampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PBTSampler",
    "ParEGOSampler",
    "PromotionASHASampler",
    "Proposal",
    "QMCSampler",
    "RandomSampler",
    "Sampler",
    "TPESampler",
    "default_sampler",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hyperscout.samplers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))


def default_sampler(seed: SeedLike = None, directions: Sequence[str] = ("minimize",)) -> Sampler:
    """The sampler ``create_study`` uses when none is given: :class:`AutoSampler`."""
    from hyperscout.samplers.auto import AutoSampler

    return AutoSampler(seed=seed)
