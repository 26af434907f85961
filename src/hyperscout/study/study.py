"""Study: ask the sampler, run or hand out trials, record results, answer best_*."""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from hyperscout._logging import get_logger
from hyperscout._rng import SeedLike
from hyperscout.artifacts import ArtifactStore, default_artifact_store
from hyperscout.exceptions import DuplicatedStudyError
from hyperscout.history import Direction, History
from hyperscout.pruners.base import Decision, NopPruner, Pruner
from hyperscout.samplers.base import Proposal, Sampler
from hyperscout.space.distributions import Distribution, check_compatible
from hyperscout.stopping import StopCondition
from hyperscout.storage import Storage, get_storage
from hyperscout.study._optimize import Callback, Objective, optimize
from hyperscout.trial.handle import FIXED_PARAMS_KEY, Trial, check_values
from hyperscout.trial.record import FrozenTrial
from hyperscout.trial.state import TrialState

_log = get_logger("hyperscout.study")
ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]
_NO_PROPOSAL = Proposal()
_DIRECTIONS = ("minimize", "maximize")


class Study:
    """A search: a storage-backed set of trials with a sampler and a pruner.

    Create one with :func:`create_study` or :func:`load_study`, not directly.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(direction="minimize", seed=0)
        >>> study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=30)
        >>> abs(study.best_params["x"] - 2) < 2
        True
    """

    def __init__(
        self,
        *,
        study_id: int,
        name: str,
        storage: Storage,
        directions: Sequence[str],
        sampler: Sampler,
        pruner: Pruner,
        constraints: ConstraintsFunc | None = None,
        artifact_store: ArtifactStore | None = None,
    ) -> None:
        self._study_id = study_id
        self._constraints = constraints
        self.name = name
        self._storage = storage
        # create_study/load_study pass directions checked by _parse_directions (or read back
        # from the storage, which holds only such): each is "minimize" or "maximize"
        self._directions = cast(tuple[Direction, ...], tuple(directions))
        self.sampler = sampler
        self.pruner = pruner
        self._artifact_store = artifact_store
        self._lock = threading.RLock()
        self._sample_lock = threading.RLock()
        self._finished: list[FrozenTrial] = []  # append-only cache of finished trials
        self._cursor = 0
        self._log_best: FrozenTrial | None = None  # best so far for the log line, kept
        self._log_scanned = 0  # incrementally over self._finished (O(new trials) per trial)
        self._known_dists: dict[str, Distribution] = {}
        self._live: dict[int, Trial] = {}
        self._stop_flag = threading.Event()
        from hyperscout.storage.heartbeat import Heartbeat, HeartbeatSettings

        hb = HeartbeatSettings.from_attrs(storage.get_study_attrs(study_id)[1])
        self._heartbeat = None if hb is None else Heartbeat(
            storage, study_id, hb, lambda: list(self._live.values()))
        # what policies that ignore the past get: no finished and no running trials
        self._no_history = History(self._directions, [], 0, ())

    # -- basic properties -------------------------------------------------------------------
    @property
    def directions(self) -> tuple[str, ...]:
        return self._directions

    @property
    def direction(self) -> str:
        """The direction of a single-objective study."""
        self._require_single("direction", "directions")
        return self._directions[0]

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def artifact_store(self) -> ArtifactStore:
        """Where ``trial.save_checkpoint`` writes (see :mod:`hyperscout.artifacts` for the
        default: next to a SQLite file, else ``./hyperscout-artifacts``)."""
        if self._artifact_store is None:
            self._artifact_store = default_artifact_store(_sqlite_database(self._storage))
        return self._artifact_store

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id)[0]

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable attribute with the study."""
        try:  # checked here so that every storage refuses what SQL storages can't store
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"study.set_user_attr({key!r}): value {value!r} is not JSON-serialisable ({exc})"
            ) from None
        self._storage.set_study_attr(self._study_id, key, value)

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, ordered by number, as immutable records."""
        return self._storage.get_trials(self._study_id)

    def get_trials(self, states: Iterable[TrialState | str] | None = None) -> list[FrozenTrial]:
        """Trials in the given states (all if ``None``), ordered by number."""
        st = None if states is None else [TrialState.parse(s) for s in states]
        return self._storage.get_trials(self._study_id, st)

    def _require_single(self, what: str, instead: str) -> None:
        if len(self._directions) != 1:
            raise RuntimeError(
                f"study.{what} is for single-objective studies; this study has "
                f"{len(self._directions)} objectives: use study.{instead}"
            )

    @property
    def best_trial(self) -> FrozenTrial:
        """The best complete trial. Raises ``ValueError`` while no trial is complete."""
        self._require_single("best_trial", "best_trials")
        history = self._history()
        best = history.best_trial
        if best is None:
            n = history.n_complete
            if n:
                raise ValueError(f"study {self.name!r} has no feasible trial yet: all {n} "
                                 "complete trials violate their constraints")
            raise ValueError(f"study {self.name!r} has no complete trial yet")
        return best

    @property
    def best_value(self) -> float:
        self._require_single("best_value", "best_trials")
        return self.best_trial.values[0]  # type: ignore[index]

    @property
    def best_params(self) -> dict[str, Any]:
        self._require_single("best_params", "best_trials")
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: feasible complete trials no other feasible one dominates.

        For one objective, every feasible trial tied for the best value. With
        ``create_study(constraints=...)``, a trial violating a constraint is never on it.
        """
        from hyperscout.multiobjective import pareto_front_trials

        return pareto_front_trials(self._history().complete(), self._directions)

    # -- history ----------------------------------------------------------------------------
    def _history(self, running: bool = True) -> History:
        """A snapshot for policies: cached finished trials + the current unfinished ones
        (none with ``running=False``, for a policy that never looks at them)."""
        with self._lock:
            new, self._cursor = self._storage.read_finished(self._study_id, self._cursor)
            for t in new:
                self._known_dists.update(t.distributions)
            self._finished.extend(new)
            if not running:
                return History(self._directions, self._finished, len(self._finished), [])
            unfinished = self._storage.get_unfinished_trials(self._study_id)
            live = self._live
            running_trials = [live[t.trial_id].to_frozen() if t.trial_id in live else t
                              for t in unfinished]
            return History(self._directions, self._finished, len(self._finished),
                           running_trials)

    def _check_distribution(self, name: str, dist: Distribution) -> None:
        old = self._known_dists.get(name)
        if old is None:
            self._known_dists[name] = dist
        elif old is not dist and old != dist:
            check_compatible(name, old, dist)
            self._known_dists[name] = dist

    # -- sampling and pruning (called by Trial) ---------------------------------------------
    def _sample(self, trial: Trial, name: str, dist: Distribution) -> Any:
        sampler = self.sampler
        with self._sample_lock:
            # one snapshot per trial: later suggestions of the same trial reuse it (consistent
            # with the joint proposal, and no storage read per define-by-run suggest)
            history = trial._history
            if history is None or trial._proposal is None:
                history = self._ensure_proposal(trial)
            prop = trial._proposal
            if name in prop.params and trial._joint_space.get(name) == dist:  # type: ignore[union-attr]
                return prop.params[name]  # type: ignore[union-attr]
            return sampler.sample_one(history, trial._view(), name, dist)

    def _ensure_proposal(self, trial: Trial) -> History:
        """Make the trial's joint proposal if it has none yet (the first suggest, or
        ``load_checkpoint`` before any suggest); returns the trial's history snapshot."""
        sampler = self.sampler
        with self._sample_lock:
            history = trial._history
            if history is None:
                history = self._history() if sampler.needs_history else self._no_history
                trial._history = history
            if trial._proposal is None:
                joint = type(sampler).infer_space is not Sampler.infer_space
                space = sampler.infer_space(history) if joint else None
                if space or sampler.proposes_state:
                    trial._set_proposal(sampler.sample_joint(history, trial._view(), space or {}),
                                        space or {})
                    if sampler.proposes_state:
                        # a schedule (which paused segment this trial resumes) must reach the
                        # storage now, not with the first report: workers in other processes
                        # decide from it
                        unsaved = trial._take_unsaved()
                        if unsaved:
                            self._storage.update_trial(trial.trial_id, **unsaved)
                else:
                    trial._set_proposal(_NO_PROPOSAL, {})
            return history

    def _should_prune(self, trial: Trial) -> bool:
        pruner = self.pruner
        history = (self._history(running=pruner.needs_running) if pruner.needs_history
                   else self._no_history)
        return pruner.decide(history, trial._view()) is Decision.PRUNE

    def _sampler_exhausted(self) -> bool:
        if type(self.sampler).is_exhausted is Sampler.is_exhausted:  # never exhausted
            return False
        with self._sample_lock:
            return self.sampler.is_exhausted(self._history())

    # -- trial life cycle -------------------------------------------------------------------
    def _start_next_trial(self) -> Trial | None:
        """Start the next trial of ``optimize`` within the study's shared budget; ``None`` if
        the budget is spent (by any worker), the study was stopped or the sampler is exhausted.
        For a sampler that can be exhausted (a grid) the check and the start are one step
        under the sampling lock, so two threads cannot both start a trial for the last point."""
        if type(self.sampler).is_exhausted is Sampler.is_exhausted:
            return self._start_budgeted_trial()
        with self._sample_lock:
            if self._sampler_exhausted():
                return None
            return self._start_budgeted_trial()

    def _start_budgeted_trial(self) -> Trial | None:
        rec = self._storage.start_trial_within_budget(
            self._study_id, heartbeat=self._heartbeat is not None)
        if rec is None:
            return None
        trial = Trial(self, rec)
        with self._lock:
            self._live[rec.trial_id] = trial
        return trial

    def _start_trial(self) -> Trial:
        rec = self._storage.start_trial(self._study_id)
        trial = Trial(self, rec)
        with self._lock:
            self._live[rec.trial_id] = trial
        return trial

    def _finish(
        self,
        trial: Trial,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        *,
        error: str | None = None,
    ) -> FrozenTrial:
        """Persist the final state (one write), then log. Returns the final record."""
        try:
            rec = self._storage.finish_trial(
                trial.trial_id, state, values, error=error, **trial._take_unsaved()
            )
        finally:
            trial.finished = True
            with self._lock:
                self._live.pop(trial.trial_id, None)
        self._log_finished(rec)
        return rec

    def _finish_with_result(self, trial: Trial, result: Any) -> FrozenTrial:
        values, reason = check_values(result, len(self._directions))
        if reason is not None:
            return self._finish(trial, TrialState.FAIL, error=reason)
        if self._constraints is not None:
            return self._finish_constrained(trial, values)  # type: ignore[arg-type]
        return self._finish(trial, TrialState.COMPLETE, values)

    def _finish_constrained(self, trial: Trial, values: tuple[float, ...]) -> FrozenTrial:
        """Evaluate the constraints on the would-be record; store them with the values in the
        same write (system attribute ``"constraints"``). A constraints function that raises or
        returns something invalid fails the trial with the reason."""
        from dataclasses import replace

        from hyperscout.multiobjective.constraints import CONSTRAINTS_KEY, check_constraints

        view = replace(trial.to_frozen(), state=TrialState.COMPLETE, values=values)
        try:
            result = self._constraints(view)  # type: ignore[misc]
        except Exception as exc:
            return self._finish(trial, TrialState.FAIL,
                                error="the constraints function raised:\n" + "".join(
                                    traceback.format_exception(type(exc), exc, exc.__traceback__)
                                ).rstrip())
        cons, reason = check_constraints(result)
        if reason is not None:
            return self._finish(trial, TrialState.FAIL, error=reason)
        trial._unsaved_state[CONSTRAINTS_KEY] = list(cons)  # type: ignore[arg-type]
        return self._finish(trial, TrialState.COMPLETE, values)

    def _best_for_log(self) -> FrozenTrial | None:
        """The best feasible complete trial, updated from the finished trials that arrived
        since the last call (what ``History.best_trial`` gives, without a scan of the study
        per finished trial)."""
        from hyperscout.multiobjective.constraints import is_feasible

        with self._lock:
            self._history(running=False)  # absorb newly finished trials (cursor read)
            sign = 1.0 if self._directions[0] == "minimize" else -1.0
            best = self._log_best
            for t in self._finished[self._log_scanned:]:
                if t.state is TrialState.COMPLETE and is_feasible(t) and (
                    best is None or sign * t.values[0] < sign * best.values[0]  # type: ignore[index]
                ):
                    best = t
            self._log_best, self._log_scanned = best, len(self._finished)
            return best

    def _log_finished(self, rec: FrozenTrial) -> None:
        if not _log.isEnabledFor(20):
            return
        params = ", ".join(f"{k}={_short(v)}" for k, v in rec.params.items())
        if rec.state is TrialState.COMPLETE:
            vals = ", ".join(f"{v:.6g}" for v in rec.values)  # type: ignore[union-attr]
            best = ""
            if len(self._directions) == 1:
                b = self._best_for_log()
                if b is not None:
                    best = f"; best {b.values[0]:.6g} (trial {b.number})"  # type: ignore[index]
            _log.info("trial %d complete: %s [%s]%s", rec.number, vals, params, best)
        elif rec.state is TrialState.PRUNED:
            _log.info("trial %d pruned at step %s [%s]", rec.number, rec.last_step, params)
        else:
            first = (rec.error or "").strip().splitlines()
            _log.warning("trial %d failed: %s [%s]", rec.number, first[-1] if first else "",
                         params)

    # -- public API -------------------------------------------------------------------------
    def optimize(
        self,
        func: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        *,
        n_jobs: int = 1,
        catch: Iterable[type[BaseException]] = (),
        callbacks: Sequence[Callback] | None = None,
        stop: Sequence[StopCondition] | None = None,
        show_progress_bar: bool = False,
        executor: Any = "thread",
    ) -> None:
        """Run ``func(trial)`` on new trials until a budget or a stop condition is reached.

        Args:
            func: The objective: takes a :class:`Trial`, returns a value (or one per direction).
            n_trials: How many trials to run in this call (``None``: no limit).
            timeout: Stop starting trials after this many seconds.
            n_jobs: Worker threads (``-1``: one per CPU).
            catch: Exception types that fail the trial but let the study go on. Any other
                exception fails the trial, is stored with its traceback, and is re-raised.
            callbacks: ``callback(study, frozen_trial)`` after each finished trial.
            stop: Stop conditions, e.g. ``hs.stopping.TargetValue(0.99)`` or
                ``hs.stopping.NoImprovement(patience=20)``; ``study.stop()`` also stops.
            show_progress_bar: Show a progress bar with the best value and an ETA.
            executor: Where trials run: ``"thread"`` (``n_jobs`` threads of this process),
                ``"process"`` (``n_jobs`` processes; needs a database storage and a picklable
                objective), or ``hs.RayExecutor(...)`` (Ray tasks, ``n_jobs`` at a time).

        ``n_trials`` and ``timeout`` become the study's shared budget (see
        :meth:`set_budget`): workers that join the study from elsewhere
        (``hyperscout worker``) share it, and everyone stops when it is spent.

        A trial whose objective returns NaN, inf or a non-number is marked failed with the
        reason, and the study goes on.
        """
        if n_trials is not None and (isinstance(n_trials, bool) or int(n_trials) != n_trials
                                     or n_trials < 0):
            raise ValueError(f"optimize(n_trials={n_trials!r}): n_trials must be an int >= 0")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"optimize(timeout={timeout!r}): timeout must be > 0 seconds")
        if n_jobs == -1:
            import os

            n_jobs = os.cpu_count() or 1
        if not isinstance(n_jobs, int) or n_jobs < 1:
            raise ValueError(f"optimize(n_jobs={n_jobs!r}): n_jobs must be >= 1 or -1")
        if not callable(func):
            raise TypeError(f"optimize(func={func!r}): the objective must be callable")
        optimize(
            self, func, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs, catch=catch,
            callbacks=list(callbacks or ()), stop=list(stop or ()),
            show_progress_bar=show_progress_bar, executor=executor,
        )

    def stop(self) -> None:
        """Ask a running ``optimize`` (and every worker of the study, on a shared storage) to
        stop after the trials in progress (thread-safe)."""
        self._stop_flag.set()
        self._storage.stop_study(self._study_id)

    def set_budget(self, n_trials: int | None = None, timeout: float | None = None) -> None:
        """Let ``n_trials`` more trials start (``None``: no limit), for ``timeout`` seconds at
        most, across every worker of the study; clears a previous ``stop()``.

        Workers started with ``hyperscout worker`` run until this budget is spent.

        Example:
            >>> import hyperscout as hs
            >>> study = hs.create_study(seed=0)
            >>> study.set_budget(n_trials=3)
            >>> study.storage.get_budget(study._study_id).n_trials
            3
        """
        import datetime as _dt

        if n_trials is not None and (isinstance(n_trials, bool) or int(n_trials) != n_trials
                                     or n_trials < 0):
            raise ValueError(f"set_budget(n_trials={n_trials!r}): must be an int >= 0 or None")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"set_budget(timeout={timeout!r}): must be > 0 seconds or None")
        deadline = None if timeout is None else (
            _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=float(timeout)))
        self._storage.set_budget(self._study_id, None if n_trials is None else int(n_trials),
                                 deadline)

    def fail_stale_trials(self) -> list[FrozenTrial]:
        """Fail (and queue retries of) RUNNING trials whose heartbeat stopped longer than the
        grace period ago, e.g. after the driver itself crashed; ``[]`` without heartbeats."""
        if self._heartbeat is None:
            return []
        s = self._heartbeat.settings
        return self._storage.fail_stale_trials(self._study_id, s.grace_period, s.max_retries)

    def ask(
        self,
        space: Mapping[str, Distribution] | None = None,
        *,
        fixed: Mapping[str, Any] | None = None,
    ) -> Trial:
        """Start a trial for an ask/tell loop; with ``space``, its ``params`` are filled at once.

        Args:
            space: Parameter name to distribution, sampled now (jointly where the sampler can).
            fixed: Values to use instead of sampling for some parameters.

        Example:
            >>> import hyperscout as hs
            >>> study = hs.create_study(direction="maximize", seed=0)
            >>> trial = study.ask({"lr": hs.Float(1e-5, 1e-1, log=True),
            ...                    "act": hs.Categorical(["relu", "gelu"])})
            >>> sorted(trial.params)
            ['act', 'lr']
            >>> study.tell(trial, 0.93).state.name
            'COMPLETE'
        """
        trial = self._start_trial()
        if fixed:
            trial._fixed.update(fixed)
        if space:
            if not isinstance(space, Mapping):
                raise TypeError(f"ask(space={space!r}): space must be a dict of distributions")
            for name, dist in space.items():
                if not isinstance(dist, (_dist_types())):
                    raise TypeError(
                        f"ask(space): {name!r} maps to {dist!r}; use hs.Float, hs.Int or "
                        "hs.Categorical"
                    )
                trial.suggest(name, dist)
            unsaved = trial._take_unsaved()
            if unsaved:
                self._storage.update_trial(trial.trial_id, **unsaved)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        *,
        state: TrialState | str | None = None,
        error: str | None = None,
    ) -> FrozenTrial:
        """Finish a trial from :meth:`ask`: with values (complete), or ``state="pruned"|"fail"``.

        Invalid values (NaN, inf, wrong count, not a number) fail the trial with the reason.
        Telling a finished trial raises :class:`~hyperscout.exceptions.StaleTrialError`.
        """
        if isinstance(trial, int):
            handle = self._live.get(self._trial_id_of(trial))
            if handle is None:
                handle = Trial(self, self._storage.get_trial(self._trial_id_of(trial)))
        elif isinstance(trial, Trial):
            handle = trial
        else:
            raise TypeError(f"tell(trial={trial!r}): pass the Trial from ask() or its number")
        st = TrialState.COMPLETE if state is None else TrialState.parse(state)
        if st is TrialState.COMPLETE:
            if values is None:
                raise ValueError(
                    f"tell(trial {handle.number}): give values, or state='pruned' / 'fail'"
                )
            return self._finish_with_result(handle, values)
        if st in (TrialState.PRUNED, TrialState.FAIL):
            if values is not None:
                raise ValueError(
                    f"tell(trial {handle.number}, state={st.value!r}): values are only for "
                    "complete trials"
                )
            return self._finish(handle, st, error=error)
        raise ValueError(f"tell(state={st.value!r}): use 'complete', 'pruned' or 'fail'")

    def _trial_id_of(self, number: int) -> int:
        for t in self._live.values():
            if t.number == number:
                return t.trial_id
        for ft in self._storage.get_trials(self._study_id):
            if ft.number == number:
                return ft.trial_id
        raise ValueError(f"study {self.name!r} has no trial number {number}")

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        *,
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial whose parameters (some or all) are given; it runs before new samples.

        Example:
            >>> import hyperscout as hs
            >>> study = hs.create_study(seed=0)
            >>> study.enqueue_trial({"x": 0.25})
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            >>> dict(study.trials[0].params)
            {'x': 0.25}
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"enqueue_trial(params={params!r}): params must be a dict")
        fixed = dict(params)
        if skip_if_exists:
            for t in self._storage.get_trials(self._study_id):
                queued = t.system_attrs.get(FIXED_PARAMS_KEY)
                ran = t.state is not TrialState.WAITING and dict(t.params) == fixed
                if queued == fixed or ran:
                    return
        self._storage.create_trial(
            self._study_id,
            state=TrialState.WAITING,
            user_attrs=user_attrs,
            system_attrs={FIXED_PARAMS_KEY: fixed},
        )

    def trials_dataframe(self, states: Iterable[TrialState | str] | None = None) -> Any:
        """The trials as a pandas DataFrame (needs ``pip install 'hyperscout[pandas]'``).

        Columns: number, state, value (or values_0, values_1, ...), datetime_start,
        datetime_complete, duration, params_<name>, user_attrs_<name>.
        """
        from hyperscout._imports import optional_import

        pd = optional_import("pandas", extra="pandas", feature="trials_dataframe()")
        rows = []
        multi = len(self._directions) > 1
        for t in self.get_trials(states):
            row: dict[str, Any] = {"number": t.number, "state": t.state.name}
            if multi:
                for i in range(len(self._directions)):
                    row[f"values_{i}"] = t.values[i] if t.values else None
            else:
                row["value"] = t.values[0] if t.values else None
            row["datetime_start"] = t.datetime_start
            row["datetime_complete"] = t.datetime_complete
            row["duration"] = t.duration
            for k, v in t.params.items():
                row[f"params_{k}"] = v
            for k, v in t.user_attrs.items():
                row[f"user_attrs_{k}"] = v
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"Study(name={self.name!r}, directions={list(self._directions)}, "
                f"sampler={self.sampler!r}, storage={self._storage!r})")


def _dist_types() -> tuple[type, ...]:
    from hyperscout.space.distributions import Categorical, Float, Int

    return (Float, Int, Categorical)


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else repr(v)


def _parse_directions(direction: str | None, directions: Sequence[str] | None) -> list[str]:
    if direction is not None and directions is not None:
        raise ValueError("give direction= or directions=, not both")
    dirs = [direction or "minimize"] if directions is None else list(directions)
    if not dirs:
        raise ValueError("directions=[] is empty; give at least one direction")
    out = []
    for d in dirs:
        d_norm = str(d).lower()
        if d_norm not in _DIRECTIONS:
            raise ValueError(f"direction={d!r} is not valid; use 'minimize' or 'maximize'")
        out.append(d_norm)
    return out


def create_study(
    name: str | None = None,
    storage: Storage | str | None = None,
    direction: str | None = None,
    *,
    directions: Sequence[str] | None = None,
    sampler: Sampler | None = None,
    pruner: Pruner | None = None,
    seed: SeedLike = None,
    load_if_exists: bool = False,
    constraints: ConstraintsFunc | None = None,
    heartbeat_interval: float | None = None,
    grace_period: float | None = None,
    max_retries: int | None = None,
    artifact_store: ArtifactStore | None = None,
    warm_start: Sequence[Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Study:
    """Create a study (or load it, with ``load_if_exists=True``).

    Args:
        name: The study's name; a unique one is made up if ``None``.
        storage: ``None`` (in memory), a URL such as ``"sqlite:///hyperscout.db"`` or
            ``"postgresql+psycopg://user@host/db"``, or a :class:`~hyperscout.storage.Storage`.
        direction: ``"minimize"`` (default) or ``"maximize"``.
        directions: One direction per objective, for multi-objective studies.
        sampler: The search strategy; the default is :class:`~hyperscout.samplers.AutoSampler`.
        pruner: Early-stopping policy; the default never prunes.
        seed: Seeds the sampler (the default one, or ``sampler.reseed(seed)``) for
            reproducible sequential runs.
        load_if_exists: Resume the study of that name if the storage has it.
        constraints: ``fn(frozen_trial) -> sequence of floats``, called after the objective
            returns; the trial is feasible when every value is ``<= 0``. The values are stored
            with the trial (``trial.system_attrs["constraints"]``) in the same write as its
            objective values; samplers honour them and an infeasible trial is never best.
        heartbeat_interval: Seconds between heartbeats of running trials (``None``: no
            heartbeats). Kept with the study, so every worker uses it.
        grace_period: A RUNNING trial silent for longer than this (default 3x the interval)
            is failed by whichever worker notices first...
        max_retries: ...and re-queued with the same parameters up to this many times
            (system attributes ``retried_from`` / ``checkpoint_from`` = the dead trial's number).
        artifact_store: Where trial checkpoints go (e.g.
            ``hs.artifacts.FileArtifactStore("/shared/ckpt")`` for workers on several
            machines); default: ``hyperscout-artifacts`` next to a SQLite file, else in the
            current directory.
        warm_start: Earlier single-objective studies to learn from: ``Study`` objects,
            ``(name, storage URL)`` pairs, or names in ``storage``. The sampler is wrapped in a
            :class:`~hyperscout.transfer.TransferSampler` (see :mod:`hyperscout.transfer`).
        meta: Meta-features of the task (e.g. ``{"n_samples": 569, "model": "svc"}``), stored
            with the study for :func:`~hyperscout.find_similar_studies`.

    Example:
        >>> import hyperscout as hs
        >>> study = hs.create_study(name="demo", direction="maximize", seed=0)
        >>> study.direction
        'maximize'
    """
    dirs = _parse_directions(direction, directions)
    from hyperscout.storage.heartbeat import HEARTBEAT_KEY, HeartbeatSettings

    hb = HeartbeatSettings.build(heartbeat_interval, grace_period, max_retries)
    store = get_storage(storage)
    if name is None:
        name = f"study-{uuid.uuid4().hex[:12]}"
    try:
        study_id = store.create_study(name, dirs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        study_id = store.get_study_id(name)
        stored = list(store.get_study_directions(study_id))
        if stored != dirs and (direction is not None or directions is not None):
            raise ValueError(
                f"study {name!r} exists with directions {stored}, not {dirs}; "
                "load it with the same directions or use another name"
            ) from None
        dirs = stored
    if hb is not None:
        store.set_study_attr(study_id, HEARTBEAT_KEY, hb.to_attr(), system=True)
    study = _make_study(study_id, name, store, dirs, sampler, pruner, seed, artifact_store,
                        constraints)
    if warm_start is not None or meta is not None:
        from hyperscout.transfer.load import attach

        attach(study, warm_start, meta, seed)
    return study


def load_study(
    name: str,
    storage: Storage | str,
    *,
    sampler: Sampler | None = None,
    pruner: Pruner | None = None,
    seed: SeedLike = None,
    constraints: ConstraintsFunc | None = None,
    artifact_store: ArtifactStore | None = None,
) -> Study:
    """Open an existing study (``StudyNotFoundError`` if there is none of that name).

    Example:
        >>> import hyperscout as hs
        >>> store = hs.storage.InMemoryStorage()
        >>> _ = hs.create_study(name="s", storage=store)
        >>> hs.load_study("s", store).name
        's'
    """
    store = get_storage(storage)
    study_id = store.get_study_id(name)
    dirs = list(store.get_study_directions(study_id))
    return _make_study(study_id, name, store, dirs, sampler, pruner, seed, artifact_store,
                       constraints)


def _sqlite_database(storage: Storage) -> str | None:
    """The file of a SQLite storage (``None`` for other storages and in-memory SQLite)."""
    url = getattr(storage, "_url", None)
    if url is None or not str(getattr(url, "drivername", "")).startswith("sqlite"):
        return None
    return getattr(url, "database", None) or None


def _make_study(study_id, name, store, dirs, sampler, pruner, seed, artifact_store=None,
                constraints=None) -> Study:
    if sampler is None:
        from hyperscout.samplers import default_sampler

        sampler = default_sampler(seed=seed, directions=dirs)
    elif seed is not None:
        sampler.reseed(seed)
    if not isinstance(sampler, Sampler):
        raise TypeError(f"sampler={sampler!r} is not a hyperscout Sampler")
    pruner = NopPruner() if pruner is None else pruner
    if not isinstance(pruner, Pruner):
        raise TypeError(f"pruner={pruner!r} is not a hyperscout Pruner")
    if constraints is not None and not callable(constraints):
        raise TypeError(f"create_study(constraints={constraints!r}): give a function "
                        "frozen_trial -> sequence of floats (feasible when all <= 0)")
    if artifact_store is None:
        # resolved now, so a later chdir does not move the checkpoints; created on first save
        artifact_store = default_artifact_store(_sqlite_database(store))
    elif not isinstance(artifact_store, ArtifactStore):
        raise TypeError(
            f"artifact_store={artifact_store!r} is not an ArtifactStore; use "
            "hs.artifacts.FileArtifactStore(path)"
        )
    return Study(study_id=study_id, name=name, storage=store, directions=dirs, sampler=sampler,
                 pruner=pruner,
                 artifact_store=artifact_store, constraints=constraints)
