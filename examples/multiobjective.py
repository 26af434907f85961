"""Multi-objective, constrained tuning: accuracy vs model size, with a size limit.

A scikit-learn MLP on the bundled digits data (offline): minimise the validation error and the
number of parameters, subject to "at most 2,000 parameters". The default sampler
(AutoSampler) uses the ParEGO GP for this small budget. Runs in well under a minute.

    PYTHONPATH=src python examples/multiobjective.py
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import hyperscout as hs
from hyperscout.multiobjective import hypervolume

X, y = load_digits(return_X_y=True)
X = X / 16.0
MAX_PARAMS = 2_000


def n_params(units: int, layers: int) -> int:
    sizes = [64] + [units] * layers + [10]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def objective(trial: hs.Trial) -> tuple[float, float]:
    units = trial.suggest_int("units", 4, 64, log=True)
    layers = trial.suggest_int("layers", 1, 2)
    lr = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(units,) * layers, learning_rate_init=lr,
                              max_iter=20, random_state=0).fit(X[:1200], y[:1200])
    return 1.0 - model.score(X[1200:], y[1200:]), float(n_params(units, layers))


def size_limit(trial: hs.FrozenTrial) -> list[float]:
    """Feasible when <= 0: the parameter count minus the limit."""
    return [trial.values[1] - MAX_PARAMS]


def main() -> None:
    hs.set_verbosity("warning")
    study = hs.create_study(directions=["minimize", "minimize"], constraints=size_limit, seed=0)
    study.optimize(objective, n_trials=30)
    print("Pareto front (feasible trials only):")
    for t in sorted(study.best_trials, key=lambda t: t.values[1]):
        print(f"  error {t.values[0]:.3f}  params {int(t.values[1]):5d}  {dict(t.params)}")
    front = np.array([t.values for t in study.best_trials])
    print(f"hypervolume (ref: error 1.0, {MAX_PARAMS} params): "
          f"{hypervolume(front, np.array([1.0, MAX_PARAMS])):.1f}")
    infeasible = [t for t in study.trials if t.system_attrs.get("constraints", [0])[0] > 0]
    print(f"{len(infeasible)} of {len(study.trials)} trials broke the size limit")


if __name__ == "__main__":
    main()
