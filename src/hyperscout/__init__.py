"""hyperscout: hyperparameter optimization that finds better configurations in fewer trials.

Example:
    >>> import hyperscout as hs
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     return (x - 2) ** 2
    >>> study = hs.create_study(seed=0)
    >>> study.optimize(objective, n_trials=20)
    >>> study.best_value < 10
    True
"""

from hyperscout import artifacts, pruners, samplers, stopping, storage
from hyperscout._logging import set_verbosity
from hyperscout.exceptions import (
    DuplicatedStudyError,
    HyperscoutError,
    OptionalDependencyError,
    SchemaVersionError,
    StaleTrialError,
    StorageError,
    StudyNotFoundError,
    TrialPruned,
)
from hyperscout.execution import ProcessExecutor, RayExecutor
from hyperscout.space import Categorical, Float, Int
from hyperscout.study import Study, create_study, load_study
from hyperscout.transfer.load import find_similar_studies
from hyperscout.trial import FrozenTrial, TrialState
from hyperscout.trial.handle import Trial

__version__ = "0.1.0"

_LAZY_SUBPACKAGES = frozenset({"importance", "visualization"})


def __getattr__(name: str):  # `hs.importance.param_importances(study)` without importing it first
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"hyperscout.{name}")
    raise AttributeError(f"module 'hyperscout' has no attribute {name!r}")

__all__ = [
    "Categorical",
    "DuplicatedStudyError",
    "Float",
    "FrozenTrial",
    "HyperscoutError",
    "Int",
    "OptionalDependencyError",
    "ProcessExecutor",
    "RayExecutor",
    "SchemaVersionError",
    "StaleTrialError",
    "StorageError",
    "Study",
    "StudyNotFoundError",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "artifacts",
    "create_study",
    "find_similar_studies",
    "load_study",
    "pruners",
    "samplers",
    "set_verbosity",
    "stopping",
    "storage",
]
