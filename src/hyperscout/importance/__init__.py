"""Which hyperparameters mattered: fANOVA and PED-ANOVA importances of a study's parameters.

``param_importances(study)`` fits the complete trials and returns each parameter's share of the
explained variation, largest first (they sum to 1). fANOVA (the default) decomposes a random
forest's fit exactly; PED-ANOVA is a fast, model-free alternative for large studies. Both work
on the space codec's unit columns (log parameters in log space), with conditional parameters
(an "inactive" cell), and per objective for multi-objective studies.

Example:
    >>> import hyperscout as hs
    >>> def f(t):
    ...     return 10 * t.suggest_float("x", 0, 1) + 0.01 * t.suggest_float("y", 0, 1)
    >>> study = hs.create_study(seed=0, sampler=hs.samplers.RandomSampler(seed=0))
    >>> study.optimize(f, n_trials=60)
    >>> imp = hs.importance.param_importances(study, evaluator="ped_anova")
    >>> list(imp)[0]
    'x'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hyperscout.importance._data import ImportanceData, collect
from hyperscout.importance.fanova import Decomposition, FanovaImportance
from hyperscout.importance.ped_anova import PedAnovaImportance
from hyperscout.trial.record import FrozenTrial

__all__ = [
    "Decomposition",
    "Evaluator",
    "FanovaImportance",
    "ImportanceData",
    "PedAnovaImportance",
    "collect",
    "pairwise_importances",
    "param_importances",
]


class Evaluator(Protocol):
    """What ``param_importances`` accepts as ``evaluator``."""

    def evaluate(self, data: ImportanceData) -> dict[str, float]: ...


_EVALUATORS: dict[str, Callable[[], Evaluator]] = {
    "fanova": FanovaImportance,
    "ped_anova": PedAnovaImportance,
}


def _resolve(evaluator: Evaluator | str | None) -> Evaluator:
    if evaluator is None:
        return FanovaImportance()
    if isinstance(evaluator, str):
        try:
            return _EVALUATORS[evaluator]()
        except KeyError:
            raise ValueError(
                f"evaluator={evaluator!r} is unknown; use one of {sorted(_EVALUATORS)} "
                "or an evaluator instance"
            ) from None
    if not hasattr(evaluator, "evaluate"):
        raise TypeError(f"evaluator={evaluator!r} has no evaluate(data) method")
    return evaluator


def _trials_and_directions(study: Any) -> tuple[Sequence[FrozenTrial], Sequence[str]]:
    try:
        return study.get_trials(["complete"]), study.directions
    except AttributeError:
        raise TypeError(
            f"study={study!r}: expected a hyperscout Study (with get_trials and directions)"
        ) from None


def param_importances(
    study: Any,
    *,
    evaluator: Evaluator | str | None = None,
    params: Sequence[str] | None = None,
    objective: int = 0,
    target: Callable[[FrozenTrial], float] | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, largest first.

    Args:
        study: The study whose complete trials are analysed.
        evaluator: ``"fanova"`` (default), ``"ped_anova"``, or an evaluator instance
            (e.g. ``FanovaImportance(n_trees=128, seed=1)``).
        params: Only these parameters (default: every parameter seen in complete trials).
        objective: Which objective of a multi-objective study.
        target: Explain ``target(trial)`` instead of an objective value.
        normalize: Scale so the importances sum to 1 (when they are not all zero).

    Raises:
        ValueError: Fewer than two complete trials, an unknown parameter or objective.
    """
    trials, directions = _trials_and_directions(study)
    data = collect(trials, directions, params=params, objective=objective, target=target)
    raw = _resolve(evaluator).evaluate(data)
    total = sum(raw.values())
    if normalize and total > 0:
        raw = {k: v / total for k, v in raw.items()}
    return dict(sorted(raw.items(), key=lambda kv: (-kv[1], kv[0])))


def pairwise_importances(
    study: Any,
    *,
    evaluator: FanovaImportance | None = None,
    params: Sequence[str] | None = None,
    objective: int = 0,
    target: Callable[[FrozenTrial], float] | None = None,
) -> dict[tuple[str, str], float]:
    """fANOVA interaction of every pair of parameters (share of the fit's variance), largest first.

    Raises:
        ValueError: Fewer than two complete trials, an unknown parameter or objective.
    """
    trials, directions = _trials_and_directions(study)
    data = collect(trials, directions, params=params, objective=objective, target=target)
    dec = (evaluator or FanovaImportance()).decompose(data, pairwise=True)
    return dict(sorted(dec.pairs.items(), key=lambda kv: (-kv[1], kv[0])))
