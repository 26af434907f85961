"""Pruners stop unpromising trials early (median, ASHA, Hyperband and PBT come later)."""

from hyperscout.pruners.base import Decision, NopPruner, Pruner

__all__ = ["Decision", "NopPruner", "Pruner"]
