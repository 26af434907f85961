"""The optimize loop: run trials sequentially or in threads until a budget or condition stops."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from hyperscout.exceptions import TrialPruned
from hyperscout.stopping import StopCondition
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

if TYPE_CHECKING:
    from hyperscout.study.study import Study
    from hyperscout.trial.handle import Trial

Objective = Callable[["Trial"], Any]
Callback = Callable[["Study", FrozenTrial], None]


class _Budget:
    """Shared between worker threads: how many trials may still start, and until when."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self._left = n_trials
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            return False
        with self._lock:
            if self._left is None:
                return True
            if self._left <= 0:
                return False
            self._left -= 1
            return True


def run_one(
    study: Study,
    func: Objective,
    catch: tuple[type[BaseException], ...],
    trial: Trial | None = None,
) -> tuple[FrozenTrial, BaseException | None]:
    """Run the objective on ``trial`` (a new one if ``None``) and record the outcome. Returns
    the record and any exception to re-raise (persist first, report second)."""
    if trial is None:
        trial = study._start_trial()
    try:
        result = func(trial)
    except TrialPruned:
        return study._finish(trial, TrialState.PRUNED), None
    except catch as exc:
        rec = study._finish(trial, TrialState.FAIL, error=_format_error(exc))
        return rec, None
    except Exception as exc:
        rec = study._finish(trial, TrialState.FAIL, error=_format_error(exc))
        return rec, exc
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: record, then propagate
        rec = study._finish(trial, TrialState.FAIL, error=f"interrupted: {type(exc).__name__}")
        return rec, exc
    return study._finish_with_result(trial, result), None


def _format_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def optimize(
    study: Study,
    func: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[BaseException]],
    callbacks: Sequence[Callback],
    stop: Sequence[StopCondition],
    show_progress_bar: bool,
) -> None:
    catch_t = tuple(catch)
    budget = _Budget(n_trials, timeout)
    progress = _Progress(study, n_trials, timeout) if show_progress_bar else None
    study._stop_flag.clear()
    errors: list[BaseException] = []
    err_lock = threading.Lock()

    def worker() -> None:
        while not study._stop_flag.is_set() and not errors:
            trial = study._start_next_trial(budget.take)
            if trial is None:
                break
            rec, exc = run_one(study, func, catch_t, trial)
            if progress is not None:
                progress.update(rec)
            for cb in callbacks:
                cb(study, rec)
            if exc is not None:
                with err_lock:
                    errors.append(exc)
                study._stop_flag.set()
                break
            if stop and any(c.should_stop(study._history()) for c in stop):
                study._stop_flag.set()

    def run_workers() -> None:
        if n_jobs == 1:
            worker()
            return
        with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="hyperscout") as pool:
            futures = [pool.submit(worker) for _ in range(n_jobs)]
            for f in futures:
                f.result()

    try:
        if progress is None:
            run_workers()
        else:  # log lines go above the bar instead of through it
            from tqdm.contrib.logging import logging_redirect_tqdm

            with logging_redirect_tqdm(loggers=[logging.getLogger("hyperscout")]):
                run_workers()
    finally:
        if progress is not None:
            progress.close()
    if errors:
        raise errors[0]


class _Progress:
    """A tqdm bar over trials (or seconds, with only a timeout) showing the best value."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        from tqdm.auto import tqdm

        self._study = study
        self._by_time = n_trials is None and timeout is not None
        self._t0 = time.monotonic()
        total = timeout if self._by_time else n_trials
        self._bar = tqdm(total=total, unit="s" if self._by_time else "trial",
                         desc=f"study {study.name}", dynamic_ncols=True)
        self._lock = threading.Lock()
        self._best: float | None = None

    def update(self, rec: FrozenTrial) -> None:
        with self._lock:
            if rec.state is TrialState.COMPLETE and len(self._study.directions) == 1:
                v = rec.values[0]  # type: ignore[index]
                s = 1.0 if self._study.directions[0] == "minimize" else -1.0
                if self._best is None or s * v < s * self._best:
                    self._best = v
                self._bar.set_postfix(best=f"{self._best:.6g}", refresh=False)
            if self._by_time:
                self._bar.n = min(time.monotonic() - self._t0, self._bar.total)
                self._bar.refresh()
            else:
                self._bar.update(1)  # redraws with the postfix set above

    def close(self) -> None:
        self._bar.close()
