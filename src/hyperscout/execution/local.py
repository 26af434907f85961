"""Local executors: ``n_jobs`` threads of this process, or ``n_jobs`` worker processes.

Worker processes open the study from its database URL, so the study needs a storage other
processes can reach (SQLite file, PostgreSQL, MariaDB/MySQL): an in-memory storage lives in
this process only. Processes start with ``spawn`` by default (the same on every OS; the
objective, sampler, pruner and stop conditions are pickled to them).

Example:
    >>> import hyperscout as hs
    >>> study = hs.create_study(seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4, n_jobs=2,
    ...                executor="thread")
    >>> len(study.trials)
    4
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

from hyperscout._logging import get_logger
from hyperscout.execution.worker import Objective, run_trials
from hyperscout.trial.record import FrozenTrial

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext

    from hyperscout.stopping import StopCondition
    from hyperscout.study.study import Study

_log = get_logger("hyperscout.execution")
Callback = Callable[["Study", FrozenTrial], None]


class Executor:
    """Where ``study.optimize`` runs trials. Subclasses implement :meth:`run`."""

    def run(self, study: Study, func: Objective, *, n_jobs: int,
            catch: tuple[type[BaseException], ...], callbacks: Sequence[Callback],
            stop: Sequence[StopCondition],
            on_finished: Callable[[FrozenTrial], None] | None) -> None:
        raise NotImplementedError


class ThreadExecutor(Executor):
    """``n_jobs`` threads of this process share the study (the default executor)."""

    def run(self, study, func, *, n_jobs, catch, callbacks, stop, on_finished) -> None:
        def work() -> None:
            run_trials(study, func, catch=catch, callbacks=callbacks, stop=stop,
                       on_finished=on_finished)

        if n_jobs == 1:
            work()
            return
        with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="hyperscout") as pool:
            futures = [pool.submit(work) for _ in range(n_jobs)]
            first: BaseException | None = None
            for f in futures:
                exc = f.exception()
                if exc is not None and first is None:
                    first = exc
            if first is not None:
                raise first

    def __repr__(self) -> str:
        return "ThreadExecutor()"


def require_shared_storage(study: Study, executor: str) -> str:
    """The storage URL worker processes open; a clear error for in-memory storages."""
    from hyperscout.storage.memory import InMemoryStorage

    store = study.storage
    url = getattr(store, "_url", None)
    backend = getattr(store, "_backend", None)
    if isinstance(store, InMemoryStorage) or url is None or (backend is not None
                                                             and backend.memory):
        raise ValueError(
            f"optimize(executor={executor!r}) runs trials in other processes, which can't see "
            f"this process's in-memory storage ({store!r}); create the study with a database "
            "storage, e.g. create_study(storage='sqlite:///hyperscout.db') or a PostgreSQL URL"
        )
    return url.render_as_string(hide_password=False)


def worker_payload(study: Study, func: Objective, catch: tuple[type[BaseException], ...],
                   stop: Sequence[StopCondition], executor: str) -> dict[str, Any]:
    """What a worker process needs to join the study, checked to be picklable here."""
    payload = {
        "url": require_shared_storage(study, executor),
        "study": study.name,
        "func": func, "sampler": study.sampler, "pruner": study.pruner,
        "catch": catch, "stop": list(stop),
        "artifact_store": study.artifact_store,  # checkpoints land where the driver's do
    }
    try:
        pickle.dumps(payload)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ValueError(
            f"optimize(executor={executor!r}): the objective {func!r} (or the sampler, pruner "
            f"or stop conditions) can't be sent to a worker process ({exc}); define the "
            "objective at module level (no lambda or closure) or use executor='thread'"
        ) from None
    return payload


def join_study(payload: dict[str, Any], seed: int | None) -> Study:
    """Open the study in a worker (process or Ray task) with a sampler reseeded for it."""
    from hyperscout.study.study import load_study

    sampler = payload["sampler"]
    if seed is not None:
        sampler.reseed(seed)
    return load_study(payload["study"], payload["url"], sampler=sampler,
                      pruner=payload["pruner"], artifact_store=payload.get("artifact_store"))


def _process_main(payload: dict[str, Any], seed: int, errors: Any) -> None:
    """A worker process: join the study and run trials until its budget is spent."""
    study = join_study(payload, seed)
    try:
        with study_heartbeat(study):
            run_trials(study, payload["func"], catch=payload["catch"], stop=payload["stop"])
    except BaseException as exc:  # sent to the driver, which re-raises it
        try:
            errors.put(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - an unpicklable exception: send its text
            errors.put(pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}")))
        raise SystemExit(1) from None
    finally:
        study.storage.close()


def study_heartbeat(study: Study) -> Any:
    """The study's heartbeat block (a no-op without heartbeats)."""
    import contextlib

    hb = study._heartbeat
    return hb.running() if hb is not None else contextlib.nullcontext()


def worker_seeds(n: int) -> list[int]:
    """Distinct seeds for ``n`` workers, so that they don't all sample the same points."""
    import numpy as np

    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence().spawn(n)]


class ProcessExecutor(Executor):
    """``n_jobs`` worker processes share the study through its database.

    Args:
        mp_context: ``"spawn"`` (default), ``"forkserver"`` or ``"fork"``.
        poll_interval: Seconds between the driver's looks at new finished trials (for
            callbacks and the progress bar) and at its workers.
    """

    def __init__(self, mp_context: str = "spawn", poll_interval: float = 0.2) -> None:
        if mp_context not in mp.get_all_start_methods():
            raise ValueError(f"ProcessExecutor(mp_context={mp_context!r}): use one of "
                             f"{mp.get_all_start_methods()}")
        self.mp_context = mp_context
        self.poll_interval = poll_interval

    def run(self, study, func, *, n_jobs, catch, callbacks, stop, on_finished) -> None:
        payload = worker_payload(study, func, catch, stop, "process")
        # a start method from get_all_start_methods() (checked in __init__) gives a concrete
        # context, which has Process (typeshed types get_context(str) as BaseContext, which
        # has not)
        ctx = cast("SpawnContext | ForkContext | ForkServerContext",
                   mp.get_context(self.mp_context))
        errors = ctx.Queue()
        procs = [ctx.Process(target=_process_main, args=(payload, seed, errors),
                             name=f"hyperscout-worker-{i}", daemon=False)
                 for i, seed in enumerate(worker_seeds(n_jobs))]
        for p in procs:
            p.start()
        watcher = FinishedWatcher(study, callbacks, on_finished)
        try:
            while any(p.is_alive() for p in procs):
                watcher.poll()
                time.sleep(self.poll_interval)
        except BaseException:
            study.stop()  # KeyboardInterrupt in the driver: workers finish their trials
            for p in procs:
                p.join()
            raise
        finally:
            for p in procs:
                p.join()
            watcher.poll()
        if not errors.empty():
            raise pickle.loads(errors.get())
        died = [p for p in procs if p.exitcode != 0]
        if died and len(died) == len(procs):
            # all were joined above, so each has an exit code (typed int | None)
            codes = sorted({cast(int, p.exitcode) for p in procs})
            raise RuntimeError(
                f"all {len(procs)} worker processes failed (exit codes "
                f"{codes}); the log above says why (e.g. the "
                "objective's module can't be imported in a new process)")
        for p in died:
            _log.warning(
                "worker process %s died (exit code %s)%s", p.name, p.exitcode,
                "" if study._heartbeat is not None else
                "; its running trial stays RUNNING: create the study with heartbeat_interval= "
                "to have such trials failed and retried")

    def __repr__(self) -> str:
        return f"ProcessExecutor(mp_context={self.mp_context!r})"


class FinishedWatcher:
    """Calls callbacks (in the driver) for trials finished by workers elsewhere."""

    def __init__(self, study: Study, callbacks: Sequence[Callback],
                 on_finished: Callable[[FrozenTrial], None] | None) -> None:
        self._study = study
        self._callbacks = list(callbacks)
        self._on_finished = on_finished
        _, self._cursor = study.storage.read_finished(study._study_id, 0)

    def poll(self) -> None:
        if not self._callbacks and self._on_finished is None:
            return
        new, self._cursor = self._study.storage.read_finished(self._study._study_id,
                                                              self._cursor)
        for rec in new:
            if self._on_finished is not None:
                self._on_finished(rec)
            for cb in self._callbacks:
                cb(self._study, rec)


def resolve_executor(executor: Any) -> Executor:
    """``"thread"`` / ``"process"`` / an :class:`Executor` instance (e.g. ``RayExecutor``)."""
    if isinstance(executor, Executor):
        return executor
    if executor == "thread":
        return ThreadExecutor()
    if executor == "process":
        return ProcessExecutor()
    raise ValueError(
        f"optimize(executor={executor!r}): use 'thread', 'process' or an executor such as "
        "hs.RayExecutor(address='auto')"
    )
