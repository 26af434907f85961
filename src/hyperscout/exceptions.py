"""Exceptions raised by hyperscout.

The hierarchy::

    HyperscoutError
    ├── TrialPruned                  raised by an objective to stop a trial early
    ├── StorageError
    │   ├── DuplicatedStudyError     create_study on an existing name without load_if_exists
    │   ├── StudyNotFoundError       load_study / delete_study on a missing name
    │   ├── StaleTrialError          a state change on a trial that is already finished
    │   └── SchemaVersionError       a database written by another schema version
    └── OptionalDependencyError      an optional extra is not installed (also an ImportError)
"""

from __future__ import annotations


class HyperscoutError(Exception):
    """Base class of every error hyperscout raises on purpose."""


class TrialPruned(HyperscoutError):
    """Raise inside an objective to mark the trial as pruned.

    Example:
        >>> import hyperscout as hs
        >>> def objective(trial):
        ...     for step in range(10):
        ...         trial.report(1.0 / (step + 1), step)
        ...         if trial.should_prune():
        ...             raise hs.TrialPruned()
        ...     return 0.1
    """


class StorageError(HyperscoutError):
    """A storage operation could not be carried out."""


class DuplicatedStudyError(StorageError):
    """A study with this name exists already."""


class StudyNotFoundError(StorageError, KeyError):
    """No study with this name exists in the storage."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StaleTrialError(StorageError):
    """The trial was already finished (possibly by another worker) and cannot change."""


class SchemaVersionError(StorageError):
    """The database was written by a schema version this hyperscout cannot use."""


class OptionalDependencyError(HyperscoutError, ImportError):
    """A feature needs an optional package that is not installed."""
