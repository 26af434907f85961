"""Multi-objective utilities: dominance, non-dominated sorting, crowding, hypervolume,
constraints."""

from hyperscout.multiobjective.constraints import (
    CONSTRAINTS_KEY,
    constraint_values,
    is_feasible,
    violation,
)
from hyperscout.multiobjective.hypervolume import hypervolume, hypervolume_contributions
from hyperscout.multiobjective.pareto import (
    crowding_distance,
    dominates,
    domination_matrix,
    is_pareto_efficient,
    nondominated_sort,
    pareto_front_trials,
    to_minimization,
)

__all__ = [
    "CONSTRAINTS_KEY",
    "constraint_values",
    "crowding_distance",
    "dominates",
    "domination_matrix",
    "hypervolume",
    "hypervolume_contributions",
    "is_feasible",
    "is_pareto_efficient",
    "nondominated_sort",
    "pareto_front_trials",
    "to_minimization",
    "violation",
]
