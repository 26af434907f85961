"""Heartbeats: running trials say they are alive; silent ones are failed and retried.

A study with heartbeats (``create_study(heartbeat_interval=..., grace_period=...,
max_retries=...)``) keeps the settings in its system attributes, so every worker of the study
uses the same ones. While a process runs trials of such a study, one background thread per
study and process:

1. every ``interval`` seconds writes a heartbeat for all trials this process is running (one
   statement for all of them), and the parameters a trial has sampled since its last write
   (so that a retry of it can use the same ones), then
2. asks the storage to fail the study's RUNNING trials silent for longer than
   ``grace_period`` (whoever notices first wins; the transition is guarded by the trial's last
   heartbeat) and to queue a retry of each, with the same parameters, up to ``max_retries``.

The clocks of the machines running workers must agree to well within the grace period (NTP).

Example:
    >>> settings = HeartbeatSettings.from_attrs(
    ...     {"heartbeat": {"interval": 5.0, "grace_period": 20.0, "max_retries": 1}})
    >>> settings.grace_period, settings.max_retries
    (20.0, 1)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hyperscout._logging import get_logger
from hyperscout.exceptions import HyperscoutError, StaleTrialError
from hyperscout.storage.base import Storage

_log = get_logger("hyperscout.heartbeat")

#: The study system attribute holding the heartbeat settings.
HEARTBEAT_KEY = "heartbeat"


@dataclass(frozen=True)
class HeartbeatSettings:
    """How often running trials beat, how long silence is tolerated, how often to retry."""

    interval: float
    grace_period: float
    max_retries: int = 0

    @classmethod
    def build(cls, interval: float | None, grace_period: float | None,
              max_retries: int | None) -> HeartbeatSettings | None:
        """Validated settings (``None`` when ``interval`` is ``None``)."""
        if interval is None:
            if grace_period is not None or max_retries:
                raise ValueError(
                    f"create_study(grace_period={grace_period!r}, max_retries={max_retries!r}) "
                    "needs heartbeat_interval= too: without heartbeats a dead worker's trial "
                    "can't be noticed"
                )
            return None
        if isinstance(interval, bool) or not interval > 0:
            raise ValueError(f"create_study(heartbeat_interval={interval!r}): must be > 0 seconds")
        grace = 3.0 * float(interval) if grace_period is None else float(grace_period)
        if not grace > interval:
            raise ValueError(
                f"create_study(grace_period={grace_period!r}): must be longer than "
                f"heartbeat_interval={interval!r} (e.g. 3x), or live trials would be failed"
            )
        retries = 0 if max_retries is None else max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"create_study(max_retries={max_retries!r}): must be an int >= 0")
        return cls(float(interval), grace, retries)

    @classmethod
    def from_attrs(cls, system_attrs: Mapping[str, Any]) -> HeartbeatSettings | None:
        raw = system_attrs.get(HEARTBEAT_KEY)
        if not raw:
            return None
        return cls(float(raw["interval"]), float(raw["grace_period"]),
                   int(raw.get("max_retries", 0)))

    def to_attr(self) -> dict[str, Any]:
        return {"interval": self.interval, "grace_period": self.grace_period,
                "max_retries": self.max_retries}


class Heartbeat:
    """The background thread of one study in one process (see the module docstring).

    Args:
        storage: The study's storage.
        study_id: The study.
        settings: Interval, grace period, retries.
        live_trials: Returns the trials (``Trial`` handles) this process is running now.
    """

    def __init__(self, storage: Storage, study_id: int, settings: HeartbeatSettings,
                 live_trials: Callable[[], list[Any]]) -> None:
        self._storage = storage
        self._study_id = study_id
        self.settings = settings
        self._live = live_trials
        self._saved: dict[int, int] = {}  # trial id -> how many params are stored
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._users = 0
        self._lock = threading.Lock()

    def beat_once(self) -> list[Any]:
        """One tick: beat for the live trials, then fail (and retry) stale ones."""
        live = self._live()
        if live:
            self._storage.heartbeat([t.trial_id for t in live])
            self._save_params(live)
        failed = self._storage.fail_stale_trials(
            self._study_id, self.settings.grace_period, self.settings.max_retries)
        for rec in failed:
            _log.warning("trial %d failed: %s", rec.number, rec.error)
        return failed

    def _save_params(self, live: list[Any]) -> None:
        """Store parameters sampled since the last write (copies: the trial's own thread keeps
        its unsaved state, which its next write or its finish stores again, harmlessly)."""
        saved = self._saved
        for t in live:
            params = dict(t._params)
            if len(params) <= saved.get(t.trial_id, 0):
                continue
            dists = dict(t._dists)
            params = {k: v for k, v in params.items() if k in dists}
            try:
                self._storage.update_trial(t.trial_id, params=params,
                                           distributions={k: dists[k] for k in params})
            except StaleTrialError:  # finished (or failed by another noticer) meanwhile
                pass
            saved[t.trial_id] = len(params)
        alive = {t.trial_id for t in live}
        for tid in [k for k in saved if k not in alive]:
            del saved[tid]

    def _run(self) -> None:
        while not self._stop.wait(self.settings.interval):
            try:
                self.beat_once()
            except HyperscoutError as exc:  # e.g. the database restarted: try again next tick
                _log.warning("heartbeat of study %d failed: %s", self._study_id, exc)
            except Exception as exc:  # noqa: BLE001 - a driver error must not kill the thread
                _log.warning("heartbeat of study %d failed: %s: %s", self._study_id,
                             type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")

    @contextmanager
    def running(self) -> Iterator[Heartbeat]:
        """Keep the thread running while at least one caller is inside this block."""
        with self._lock:
            self._users += 1
            if self._thread is None or not self._thread.is_alive():
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, name=f"hyperscout-heartbeat-{self._study_id}", daemon=True)
                self._thread.start()
        thread = None
        try:
            yield self
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._stop.set()
                    thread, self._thread = self._thread, None
            if thread is not None:
                thread.join(timeout=self.settings.interval + 5)


__all__ = ["HEARTBEAT_KEY", "Heartbeat", "HeartbeatSettings"]
