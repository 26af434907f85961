"""The optimize loop: store the budget in the study, run trials on an executor (threads,
processes, Ray) until the budget is spent or a stop condition is met."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hyperscout.stopping import StopCondition
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

if TYPE_CHECKING:
    from hyperscout.study.study import Study
    from hyperscout.trial.handle import Trial

Objective = Callable[["Trial"], Any]
Callback = Callable[["Study", FrozenTrial], None]


def run_one(
    study: Study,
    func: Objective,
    catch: tuple[type[BaseException], ...],
    trial: Trial | None = None,
) -> tuple[FrozenTrial | None, BaseException | None]:
    """Run the objective on ``trial`` (a new one if ``None``) and record the outcome."""
    from hyperscout.execution.worker import run_one as _run_one

    return _run_one(study, func, catch, trial if trial is not None else study._start_trial())


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
    executor: Any = "thread",
) -> None:
    """Store the budget in the study, then let the executor's workers spend it."""
    from hyperscout.execution.local import resolve_executor, study_heartbeat

    runner = resolve_executor(executor)
    study.set_budget(n_trials, timeout)
    study._stop_flag.clear()
    study.fail_stale_trials()  # a crashed earlier run's trials (heartbeats only)
    progress = _Progress(study, n_trials, timeout) if show_progress_bar else None

    def run_workers() -> None:
        with study_heartbeat(study):
            runner.run(study, func, n_jobs=n_jobs, catch=tuple(catch), callbacks=callbacks,
                       stop=stop, on_finished=None if progress is None else progress.update)

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
