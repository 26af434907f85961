"""Pieces the integrations share: reporting a value and pruning, lazily built classes."""

from __future__ import annotations

import math
from typing import Any

from hyperscout.exceptions import TrialPruned


def check_trial(trial: Any, where: str) -> None:
    """Raise a TypeError naming ``where`` unless ``trial`` looks like a hyperscout Trial."""
    if not (hasattr(trial, "report") and hasattr(trial, "should_prune")):
        raise TypeError(
            f"{where}(trial={trial!r}): pass the hyperscout Trial your objective received"
        )


def report_and_prune(trial: Any, value: float, step: int, what: str) -> None:
    """``trial.report(value, step)``, then raise :class:`TrialPruned` if the pruner says so.

    A NaN or infinite value is not reported (it would poison the pruner's statistics), but the
    pruner is still asked, so a diverged trial is judged on the values it reported before.
    """
    value = float(value)
    if math.isfinite(value):
        trial.report(value, step)
    if trial.should_prune():
        raise TrialPruned(f"trial {trial.number} pruned at {what} {step} ({value:.6g})")


def lazy_module_getattr(module: str, builders: dict[str, Any]) -> Any:
    """A module ``__getattr__`` that builds a framework-derived class the first time it is
    asked for (so importing the module never imports the framework)."""
    cache: dict[str, Any] = {}

    def __getattr__(name: str) -> Any:  # noqa: N807
        if name in builders:
            if name not in cache:
                cls = builders[name]()
                cls.__module__ = module
                cls.__qualname__ = name  # pickle finds it as module.name
                cache[name] = cls
            return cache[name]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
