"""Multi-objective utilities: dominance, Pareto fronts."""

from hyperscout.multiobjective.pareto import (
    is_pareto_efficient,
    pareto_front_trials,
    to_minimization,
)

__all__ = ["is_pareto_efficient", "pareto_front_trials", "to_minimization"]
