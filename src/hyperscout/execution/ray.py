"""RayExecutor: run trials as Ray tasks on a Ray cluster, results written through the storage.

Each trial is one Ray task with the resources you ask for (``resources_per_trial``); at most
``n_jobs`` run at a time. A task opens the study from its database URL (so the storage must
be a database every node can reach: PostgreSQL or MariaDB across machines, a SQLite file on
one machine), takes a slot of the study's shared budget, samples, runs the objective and
finishes the trial, all in the task. The driver only keeps tasks in flight and calls the
callbacks.

Needs ``pip install 'hyperscout[ray]'``; ``ray`` is imported only when the executor runs.

Example:
    >>> ex = RayExecutor(address="auto", resources_per_trial={"cpu": 1, "gpu": 0.5})
    >>> ex.num_cpus, ex.num_gpus
    (1.0, 0.5)
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

from hyperscout._imports import optional_import
from hyperscout.execution.local import (
    Executor,
    FinishedWatcher,
    join_study,
    study_heartbeat,
    worker_payload,
    worker_seeds,
)
from hyperscout.execution.worker import run_trials

_STUDIES: dict[tuple[str, str], Any] = {}  # per Ray worker process: (url, study) -> Study


def _ray_trial(payload_bytes: bytes, seed: int) -> tuple[int, str | None]:
    """One Ray task: one trial of the study. Returns (trials run: 0 when the budget is spent,
    the pickled exception to re-raise in the driver or ``None``)."""
    payload = pickle.loads(payload_bytes)
    key = (payload["url"], payload["study"])
    study = _STUDIES.get(key)
    if study is None:
        study = _STUDIES[key] = join_study(payload, seed)
    else:
        study.sampler.reseed(seed)
    study._stop_flag.clear()
    try:
        with study_heartbeat(study):
            n = run_trials(study, payload["func"], catch=payload["catch"],
                           stop=payload["stop"], max_trials=1)
    except Exception as exc:  # noqa: BLE001 - re-raised by the driver
        return 1, repr(exc)
    return n, None


class RayExecutor(Executor):
    """Run trials as Ray tasks (``n_jobs`` at a time) on a Ray cluster.

    Args:
        address: ``None`` (join the cluster of ``RAY_ADDRESS`` or start a local one),
            ``"auto"`` (an existing cluster on this machine) or ``"ray://host:10001"``.
            Ignored if Ray is already initialised in this process.
        resources_per_trial: Per task: ``{"cpu": 1, "gpu": 0.5}``, plus any custom Ray
            resources by name.
        init_kwargs: More arguments for ``ray.init`` (e.g. ``runtime_env``).
    """

    def __init__(self, address: str | None = None,
                 resources_per_trial: Mapping[str, float] | None = None,
                 init_kwargs: Mapping[str, Any] | None = None) -> None:
        res = dict(resources_per_trial or {"cpu": 1})
        for k, v in res.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"RayExecutor(resources_per_trial={{{k!r}: {v!r}}}): "
                                 "amounts must be numbers >= 0")
        self.address = address
        self.num_cpus = float(res.pop("cpu", 1))
        self.num_gpus = float(res.pop("gpu", 0))
        self.custom_resources = {k: float(v) for k, v in res.items()}
        self.init_kwargs = dict(init_kwargs or {})

    def run(self, study, func, *, n_jobs, catch, callbacks, stop, on_finished) -> None:
        payload = worker_payload(study, func, catch, stop, "RayExecutor")
        ray = optional_import("ray", extra="ray", feature="RayExecutor")
        if not ray.is_initialized():
            ray.init(address=self.address, ignore_reinit_error=True, **self.init_kwargs)
        task = ray.remote(_ray_trial).options(
            num_cpus=self.num_cpus, num_gpus=self.num_gpus,
            resources=self.custom_resources or None)
        blob = ray.put(pickle.dumps(payload))
        seeds = iter(worker_seeds(1 << 12))

        def submit() -> Any:
            nonlocal seeds
            seed = next(seeds, None)
            if seed is None:
                seeds = iter(worker_seeds(1 << 12))
                seed = next(seeds)
            return task.remote(blob, seed)

        watcher = FinishedWatcher(study, callbacks, on_finished)
        pending = [submit() for _ in range(n_jobs)]
        error: str | None = None
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1, timeout=0.2)
                watcher.poll()
                for ref in ready:
                    n, err = ray.get(ref)
                    if err is not None and error is None:
                        error = err
                        study.stop()
                    if n and error is None and not study._stop_flag.is_set():
                        pending.append(submit())
        except BaseException:
            study.stop()
            raise
        finally:
            watcher.poll()
        if error is not None:
            raise RuntimeError(f"a trial's objective raised in a Ray task: {error}")

    def __repr__(self) -> str:
        return (f"RayExecutor(address={self.address!r}, resources_per_trial="
                f"{{'cpu': {self.num_cpus:g}, 'gpu': {self.num_gpus:g}}})")
