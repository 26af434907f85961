"""Synthetic objectives written against the suggest API hyperscout and Optuna share.

Used by the peer comparisons ``gp_vs_optuna.py`` and ``tpe_vs_optuna.py`` (the Bayesmark-style
suite has its own task definitions in ``tasks.py``, which take a params dict instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def branin(t: Any) -> float:
    x1 = t.suggest_float("x1", -5.0, 10.0)
    x2 = t.suggest_float("x2", 0.0, 15.0)
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(t: Any) -> float:
    x = np.array([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)])
    return float(-_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


def rosenbrock4(t: Any) -> float:
    x = np.array([t.suggest_float(f"x{i}", -5.0, 10.0) for i in range(4)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley5(t: Any) -> float:
    x = np.array([t.suggest_float(f"x{i}", -32.768, 32.768) for i in range(5)])
    d = len(x)
    return float(-20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d))
                 - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + math.e)


_ACT = {"relu": 0.3, "tanh": 0.6, "gelu": 0.0, "sigmoid": 1.0, "elu": 0.4}


def mixed(t: Any) -> float:
    """A practitioner-style space: log float, log int, int, stepped float, categorical."""
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = t.suggest_int("units", 8, 512, log=True)
    depth = t.suggest_int("depth", 1, 12)
    dropout = t.suggest_float("dropout", 0.0, 0.5, step=0.05)
    act = t.suggest_categorical("act", list(_ACT))
    x = t.suggest_float("wd", -4.0, 4.0)
    return ((math.log10(lr) + 2.5) ** 2 + 0.25 * (math.log2(units) - math.log2(96)) ** 2
            + ((depth - 7) / 3) ** 2 + (4 * (dropout - 0.15)) ** 2 + _ACT[act]
            + 0.2 * (x - 1.0) ** 2 + 0.3 * (math.log10(lr) + 2.5) * (x - 1.0))


FUNCTIONS: dict[str, tuple[Callable[[Any], float], float]] = {
    "branin": (branin, 0.397887),
    "hartmann6": (hartmann6, -3.32237),
    "rosenbrock4": (rosenbrock4, 0.0),
    "ackley5": (ackley5, 0.0),
    "mixed": (mixed, 0.0),
}
