"""A tiny objective for the command line: minimum 0 at x = 2, y = -1, with a categorical shift.

    hyperscout run examples/quadratic.py:objective --n-trials 30 --seed 0
    hyperscout best quadratic-objective
    hyperscout trials quadratic-objective --sort value --limit 5
    hyperscout export quadratic-objective --format csv --output quadratic.csv

It can also be run directly: ``python examples/quadratic.py`` (in memory, 30 trials).
"""

from __future__ import annotations

import hyperscout as hs

SHIFT = {"none": 0.0, "small": 0.5, "large": 2.0}


def objective(trial: hs.Trial) -> float:
    """(x - 2)^2 + (y + 1)^2 + shift: one float, one int and one categorical parameter."""
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_int("y", -5, 5)
    shift = trial.suggest_categorical("shift", list(SHIFT))
    return (x - 2.0) ** 2 + (y + 1) ** 2 + SHIFT[shift]


if __name__ == "__main__":
    study = hs.create_study(seed=0)
    study.optimize(objective, n_trials=30)
    print(f"best value {study.best_value:.4g} with {study.best_params}")
