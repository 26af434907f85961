"""What the dashboard reads: an incremental, thread-safe cache of each study's trials.

Finished trials never change, so each study keeps the ones it has seen and asks the storage
only for those finished since (``read_finished(study_id, cursor)``); running and waiting trials
are re-read on every refresh. Nothing here writes to the storage.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from hyperscout.storage.base import Storage
from hyperscout.trial.record import FrozenTrial
from hyperscout.visualization._data import StudySnapshot


@dataclass
class _StudyCache:
    name: str
    directions: tuple[str, ...]
    finished: list[FrozenTrial] = field(default_factory=list)
    by_number: dict[int, FrozenTrial] = field(default_factory=dict)
    cursor: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    plots: dict[tuple[Any, ...], str] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """One consistent read of a study: its snapshot and a version that changes with it."""

    study_id: int
    snapshot: StudySnapshot
    version: str


class DashboardStore:
    """Read-only access to a storage for the dashboard.

    Example:
        >>> import hyperscout as hs
        >>> s = hs.create_study(name="demo")
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> store = DashboardStore(s.storage)
        >>> view = store.view(store.study_ids()["demo"])
        >>> len(view.snapshot.trials)
        3
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._studies: dict[int, _StudyCache] = {}
        self._lock = threading.Lock()

    def study_ids(self) -> dict[str, int]:
        return {s.name: s.study_id for s in self.storage.list_studies()}

    def _cache(self, study_id: int) -> _StudyCache:
        with self._lock:
            cache = self._studies.get(study_id)
            if cache is None:
                cache = _StudyCache(self.storage.get_study_name(study_id),
                                    tuple(self.storage.get_study_directions(study_id)))
                self._studies[study_id] = cache
            return cache

    def view(self, study_id: int) -> View:
        """Refresh the study's finished trials incrementally and read its unfinished ones."""
        cache = self._cache(study_id)
        with cache.lock:
            new, cache.cursor = self.storage.read_finished(study_id, cache.cursor)
            for t in new:
                if t.number not in cache.by_number:
                    cache.finished.append(t)
                cache.by_number[t.number] = t
            unfinished = self.storage.get_unfinished_trials(study_id)
            finished = list(cache.finished)
        done = {t.number for t in finished}
        trials = finished + [t for t in unfinished if t.number not in done]
        trials.sort(key=lambda t: t.number)
        progress = sum(len(t.intermediate_values) + len(t.params) + len(t.user_attrs)
                       for t in unfinished)
        version = f"{cache.cursor}.{len(unfinished)}.{progress}"
        return View(study_id, StudySnapshot(cache.name, cache.directions, trials), version)

    def plot_cache(self, study_id: int) -> dict[tuple[Any, ...], str]:
        return self._cache(study_id).plots
