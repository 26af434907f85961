"""Benchmark problems for multi-objective samplers: define-by-run objectives that run unchanged
on hyperscout and Optuna trials (``suggest_float`` / ``suggest_int`` / ``suggest_categorical``).

Every objective is minimised. ``Problem.reference`` is the hypervolume reference point;
``Problem.constraints`` (if any) maps the objective values and params to constraint values
(feasible when all <= 0), stored by the study via its constraints function.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Problem:
    name: str
    n_objectives: int
    objective: Callable[[Any], tuple[float, ...]]
    reference: tuple[float, ...]
    constraints: Callable[[dict[str, Any], tuple[float, ...]], list[float]] | None = None
    note: str = ""


def _floats(trial: Any, n: int) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)])


ZDT_DIM = 10


def zdt1(trial: Any) -> tuple[float, float]:
    x = _floats(trial, ZDT_DIM)
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def zdt2(trial: Any) -> tuple[float, float]:
    x = _floats(trial, ZDT_DIM)
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - (x[0] / g) ** 2))


def zdt3(trial: Any) -> tuple[float, float]:
    x = _floats(trial, ZDT_DIM)
    g = 1 + 9 * x[1:].mean()
    h = 1 - math.sqrt(x[0] / g) - (x[0] / g) * math.sin(10 * math.pi * x[0])
    return float(x[0]), float(g * h)


DTLZ_M, DTLZ_K = 3, 5


def _dtlz2_values(x: np.ndarray, m: int) -> tuple[float, ...]:
    g = float(((x[m - 1:] - 0.5) ** 2).sum())
    f = []
    for i in range(m):
        v = 1 + g
        for j in range(m - 1 - i):
            v *= math.cos(x[j] * math.pi / 2)
        if i > 0:
            v *= math.sin(x[m - 1 - i] * math.pi / 2)
        f.append(v)
    return tuple(f)


def dtlz2(trial: Any) -> tuple[float, ...]:
    return _dtlz2_values(_floats(trial, DTLZ_M + DTLZ_K - 1), DTLZ_M)


def c2_dtlz2_constraints(params: dict[str, Any], f: tuple[float, ...]) -> list[float]:
    """C2-DTLZ2 (Jain & Deb 2014), r = 0.4 for 3 objectives: feasible near the corners of the
    front and near its centre."""
    r = 0.4
    m = len(f)
    fa = np.asarray(f)
    corner = min(float((fa[i] - 1) ** 2 + (fa**2).sum() - fa[i] ** 2 - r**2) for i in range(m))
    centre = float(((fa - 1 / math.sqrt(m)) ** 2).sum() - r**2)
    return [min(corner, centre)]


# -- a real ML trade-off: MLP validation error vs parameter count on digits -------------------
MLP_UNITS = (4, 64)
MLP_LAYERS = (1, 2)
MLP_LR = (1e-3, 3e-3, 1e-2, 3e-2)
MLP_ALPHA = (1e-5, 1e-4, 1e-3, 1e-2)
_TABLE_PATH = os.path.join(HERE, "results", "mlp_digits_table.json")
_TABLE: dict[str, float] | None = None


def mlp_key(units: int, layers: int, lr: float, alpha: float) -> str:
    return f"{units}|{layers}|{lr:g}|{alpha:g}"


def mlp_n_params(units: int, layers: int) -> int:
    n_in, n_out = 64, 10
    sizes = [n_in] + [units] * layers + [n_out]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def train_mlp(units: int, layers: int, lr: float, alpha: float) -> float:
    """Validation error of an sklearn MLP on the bundled digits data (fixed split and seed)."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(units,) * layers, learning_rate_init=lr,
                              alpha=alpha, max_iter=30, random_state=0)
        model.fit(X[:1200], y[:1200])
    return float(1.0 - model.score(X[1200:], y[1200:]))


def mlp_configs() -> list[tuple[int, int, float, float]]:
    return [(u, la, lr, a) for u in range(MLP_UNITS[0], MLP_UNITS[1] + 1)
            for la in range(MLP_LAYERS[0], MLP_LAYERS[1] + 1) for lr in MLP_LR for a in MLP_ALPHA]


def build_mlp_table(workers: int = 1) -> dict[str, float]:
    """Train every configuration once (a tabular benchmark: each study then looks errors up, so
    the comparison is cheap and every sampler sees the same noise-free numbers)."""
    from concurrent.futures import ProcessPoolExecutor

    configs = mlp_configs()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        errors = list(pool.map(_train_tuple, configs, chunksize=16))
    table = {mlp_key(*c): e for c, e in zip(configs, errors)}
    os.makedirs(os.path.dirname(_TABLE_PATH), exist_ok=True)
    with open(_TABLE_PATH, "w") as fh:
        json.dump(table, fh)
    return table


def _train_tuple(c: tuple[int, int, float, float]) -> float:
    return train_mlp(*c)


def _table() -> dict[str, float]:
    global _TABLE
    if _TABLE is None:
        with open(_TABLE_PATH) as fh:
            _TABLE = json.load(fh)
    return _TABLE


def mlp_digits(trial: Any) -> tuple[float, float]:
    units = trial.suggest_int("units", *MLP_UNITS, log=True)
    layers = trial.suggest_int("layers", *MLP_LAYERS)
    lr = trial.suggest_categorical("lr", list(MLP_LR))
    alpha = trial.suggest_categorical("alpha", list(MLP_ALPHA))
    err = _table()[mlp_key(units, layers, lr, alpha)]
    return err, math.log10(mlp_n_params(units, layers))


PROBLEMS: dict[str, Problem] = {
    "zdt1": Problem("zdt1", 2, zdt1, (1.1, 11.0), note=f"{ZDT_DIM} floats"),
    "zdt2": Problem("zdt2", 2, zdt2, (1.1, 11.0), note=f"{ZDT_DIM} floats"),
    "zdt3": Problem("zdt3", 2, zdt3, (1.1, 11.0), note=f"{ZDT_DIM} floats"),
    "dtlz2": Problem("dtlz2", 3, dtlz2, (1.5, 1.5, 1.5), note=f"{DTLZ_M + DTLZ_K - 1} floats"),
    "c2dtlz2": Problem("c2dtlz2", 3, dtlz2, (1.5, 1.5, 1.5), constraints=c2_dtlz2_constraints,
                       note="DTLZ2 with the C2 constraint (r=0.4); HV of feasible trials"),
    "mlp": Problem("mlp", 2, mlp_digits, (1.0, 5.0),
                   note="digits MLP: (validation error, log10 #params); int/log-int/categorical"),
}
