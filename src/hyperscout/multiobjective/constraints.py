"""Constraints: how a trial's constraint values are stored and read.

A study created with ``create_study(constraints=fn)`` calls ``fn(frozen_trial)`` after the
objective returns and stores the returned floats with the trial, in the same write as its
values, as the system attribute ``"constraints"``. A trial is *feasible* when every value is
``<= 0``; its *violation* is ``sum(max(c, 0))``. Trials without stored constraints are feasible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperscout.trial.record import FrozenTrial

CONSTRAINTS_KEY = "constraints"
"""The system attribute a trial's constraint values are stored under."""


def check_constraints(result: Any) -> tuple[tuple[float, ...] | None, str | None]:
    """Validate what a constraints function returned: ``(values, None)`` or ``(None, reason)``.

    Example:
        >>> check_constraints([0.5, -1])
        ((0.5, -1.0), None)
        >>> check_constraints(float("nan"))[1].split(";")[0]
        'the constraints function returned nan'
    """
    fix = "return a sequence of finite floats (<= 0 = satisfied)"
    if isinstance(result, (str, bytes)) or not isinstance(result, (Sequence, np.ndarray)):
        return None, f"the constraints function returned {result!r}; {fix}"
    out = []
    for c in result:
        if isinstance(c, bool):
            return None, f"the constraints function returned a bool ({c!r}); {fix}"
        try:
            f = float(c)
        except (TypeError, ValueError):
            return None, f"the constraints function returned {c!r}; {fix}"
        if not math.isfinite(f):
            return None, f"the constraints function returned {f}; {fix}"
        out.append(f)
    if not out:
        return None, f"the constraints function returned an empty sequence; {fix}"
    return tuple(out), None


def constraint_values(trial: FrozenTrial) -> tuple[float, ...] | None:
    """The constraint values stored with ``trial`` (``None`` if it has none)."""
    c = trial.system_attrs.get(CONSTRAINTS_KEY)
    return None if c is None else tuple(float(x) for x in c)


def violation(trial: FrozenTrial) -> float:
    """Total violation ``sum(max(c, 0))`` of ``trial``'s constraints (``0.0`` if feasible).

    Example:
        >>> from hyperscout.trial import TrialState
        >>> t = FrozenTrial.build(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0],
        ...                       system_attrs={"constraints": [0.5, -2.0, 1.0]})
        >>> violation(t), is_feasible(t)
        (1.5, False)
    """
    c = trial.system_attrs.get(CONSTRAINTS_KEY)
    if not c:
        return 0.0
    return float(sum(max(float(x), 0.0) for x in c))


def is_feasible(trial: FrozenTrial) -> bool:
    """Whether every stored constraint of ``trial`` is ``<= 0`` (no constraints: feasible)."""
    c = trial.system_attrs.get(CONSTRAINTS_KEY)
    return not c or all(float(x) <= 0.0 for x in c)
