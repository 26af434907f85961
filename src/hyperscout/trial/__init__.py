"""Trials: states, immutable records, and the handle an objective receives."""

from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

__all__ = ["FrozenTrial", "TrialState"]
