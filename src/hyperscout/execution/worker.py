"""The worker loop every executor runs: start a trial within the study's shared budget, run the
objective, persist the outcome; repeat until the budget is spent or the study is stopped.

The same loop runs in threads of the driver, in worker processes, in Ray tasks and in
``hyperscout worker`` on other machines, so they all obey one budget stored in the study.

Example:
    >>> import hyperscout as hs
    >>> study = hs.create_study(seed=0)
    >>> study.set_budget(n_trials=3)
    >>> run_trials(study, lambda t: t.suggest_float("x", 0, 1))
    3
"""

from __future__ import annotations

import datetime as _dt
import logging
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hyperscout.exceptions import StaleTrialError, TrialPruned
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

if TYPE_CHECKING:
    from hyperscout.stopping import StopCondition
    from hyperscout.study.study import Study
    from hyperscout.trial.handle import Trial

Objective = Callable[["Trial"], Any]
_log = logging.getLogger("hyperscout.worker")


def _format_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def run_one(
    study: Study,
    func: Objective,
    catch: tuple[type[BaseException], ...],
    trial: Trial,
) -> tuple[FrozenTrial | None, BaseException | None]:
    """Run the objective on ``trial`` and record the outcome (persist first, report second).

    Returns the final record (``None`` if another worker failed the trial meanwhile, e.g. its
    heartbeat was late: the result is then dropped with a warning) and any exception to
    re-raise.
    """
    try:
        try:
            result = func(trial)
        except TrialPruned:
            return study._finish(trial, TrialState.PRUNED), None
        except StaleTrialError:
            raise
        except catch as exc:
            return study._finish(trial, TrialState.FAIL, error=_format_error(exc)), None
        except Exception as exc:
            return study._finish(trial, TrialState.FAIL, error=_format_error(exc)), exc
        except BaseException as exc:  # KeyboardInterrupt, SystemExit: record, then propagate
            rec = study._finish(trial, TrialState.FAIL,
                                error=f"interrupted: {type(exc).__name__}")
            return rec, exc
        return study._finish_with_result(trial, result), None
    except StaleTrialError as exc:
        _log.warning("trial %d was finished by another worker (its heartbeat was probably "
                     "late); this worker's result is dropped: %s", trial.number, exc)
        with study._lock:
            study._live.pop(trial.trial_id, None)
        return None, None


def _linger(study: Study) -> bool:
    """With heartbeats, a worker whose budget is spent waits while other workers' trials are
    unfinished: if one of them dies, its retry (the budget slot is given back) runs here.
    Sleeps one heartbeat interval and returns ``True`` if it is worth trying again."""
    hb = study._heartbeat
    if hb is None or study._stop_flag.is_set():
        return False
    b = study.storage.get_budget(study._study_id)
    if b.stopped or (b.deadline is not None
                     and _dt.datetime.now(_dt.timezone.utc) >= b.deadline):
        return False
    mine = set(study._live)
    if not any(t.trial_id not in mine
               for t in study.storage.get_unfinished_trials(study._study_id)):
        return False
    if study._stop_flag.wait(hb.settings.interval):
        return False
    study.fail_stale_trials()
    return True


def run_trials(
    study: Study,
    func: Objective,
    *,
    catch: Iterable[type[BaseException]] = (),
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]] = (),
    stop: Sequence[StopCondition] = (),
    max_trials: int | None = None,
    on_finished: Callable[[FrozenTrial], None] | None = None,
) -> int:
    """Run trials of ``study`` until its shared budget is spent, it is stopped, or this loop
    ran ``max_trials``; returns how many trials this loop ran.

    An exception the objective raises (and ``catch`` does not cover) fails its trial, stops
    this loop and is re-raised. A stop condition that is met stops every worker of the study.
    """
    catch_t = tuple(catch)
    done = 0
    while not study._stop_flag.is_set() and (max_trials is None or done < max_trials):
        trial = study._start_next_trial()
        if trial is None:
            if _linger(study):
                continue
            break
        rec, exc = run_one(study, func, catch_t, trial)
        done += 1
        if rec is not None:
            if on_finished is not None:
                on_finished(rec)
            for cb in callbacks:
                cb(study, rec)
        if exc is not None:
            study._stop_flag.set()
            raise exc
        if stop and any(c.should_stop(study._history()) for c in stop):
            study.stop()
    return done
