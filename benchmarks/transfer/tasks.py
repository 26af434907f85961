"""Families of related tasks for the warm-start benchmark, plus deliberately unrelated priors.

Each family has a *target* task (the new study), *related* priors (tasks an earlier study
solved) and an *unrelated* prior, all over the same parameter names:

- ``quadcos3``: ``sum (x - s)^2 + cos(2 (x - s))`` on ``[-5, 5]^3`` (minimum near ``s +- 0.95``
  per coordinate, 8 near-equal basins). Target: shift ``s_t``, scaled x2 and offset +5.
  Related priors: shifts 0.3 away, scaled x1 and x0.5. Unrelated: the optimum in the opposite
  corner.
- ``hartmann3``: Hartmann-3 on ``[0, 1]^3``. Target: inputs shifted by +0.04, output x3 + 1.
  Related priors: the plain function and a -0.04 shift. Unrelated: the mirror image
  ``x -> 1 - x`` (its optimum lies far from the target's).
- ``svc-<dataset>``: an RBF SVC (log C, log gamma, class_weight) tuned by 3-fold CV error on a
  bundled dataset (standardised inputs). Target ``breast_cancer``, related priors ``wine``
  and ``digits`` (600 rows). Unrelated: an *adversarial* prior, the same model on ``wine``
  with the objective reversed (its "best" configurations are the worst ones).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

import hyperscout as hs

Objective = Callable[[Mapping[str, Any]], float]


@dataclass(frozen=True)
class Family:
    name: str
    space: dict[str, Any]
    target: Objective
    related: dict[str, Objective]
    unrelated: dict[str, Objective]


def _quadcos(shift, scale=1.0, offset=0.0) -> Objective:
    s = np.asarray(shift, dtype=float)

    def f(p: Mapping[str, Any]) -> float:
        x = np.array([p["x0"], p["x1"], p["x2"]]) - s
        return float(scale * (np.sum(x * x) + np.sum(np.cos(2 * x))) + offset)

    return f


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547],
                         [381, 5743, 8828]])
_H3_C = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann3(shift=0.0, scale=1.0, offset=0.0, mirror=False) -> Objective:
    def f(p: Mapping[str, Any]) -> float:
        x = np.array([p["x0"], p["x1"], p["x2"]])
        if mirror:
            x = 1.0 - x
        x = np.clip(x - shift, 0.0, 1.0)
        val = -np.sum(_H3_C * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1)))
        return float(scale * val + offset)

    return f


@cache
def _data(name: str):
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        idx = np.random.default_rng(0).permutation(len(y))[:600]
        X, y = X[idx], y[idx]
    else:
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _svc(dataset: str, reverse: bool = False) -> Objective:
    def f(p: Mapping[str, Any]) -> float:
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.svm import SVC

        X, y = _data(dataset)
        model = SVC(C=p["C"], gamma=p["gamma"], class_weight=p["class_weight"])
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
        acc = float(cross_val_score(model, X, y, cv=cv).mean())
        return acc if reverse else 1.0 - acc

    return f


def families() -> dict[str, Family]:
    box = {f"x{i}": hs.Float(-5.0, 5.0) for i in range(3)}
    unit = {f"x{i}": hs.Float(0.0, 1.0) for i in range(3)}
    svc = {"C": hs.Float(1e-3, 1e3, log=True), "gamma": hs.Float(1e-4, 1e1, log=True),
           "class_weight": hs.Categorical([None, "balanced"])}
    t = np.array([1.3, -1.7, 0.8])
    return {
        "quadcos3": Family(
            "quadcos3", box, _quadcos(t, 2.0, 5.0),
            {"shift-0.3": _quadcos(t - 0.3), "shift+0.3": _quadcos(t + 0.3, 0.5)},
            {"far-corner": _quadcos(-np.sign(t) * 4.5)}),
        "hartmann3": Family(
            "hartmann3", unit, _hartmann3(0.04, 3.0, 1.0),
            {"plain": _hartmann3(), "shift-0.04": _hartmann3(-0.04)},
            {"mirrored": _hartmann3(mirror=True)}),
        "svc-breast_cancer": Family(
            "svc-breast_cancer", svc, _svc("breast_cancer"),
            {"svc-wine": _svc("wine"), "svc-digits": _svc("digits")},
            {"svc-wine-reversed": _svc("wine", reverse=True)}),
    }
