"""Ray Tune's ASHA (random search + ``ASHAScheduler``), same tasks and metrics as run.py.

Needs ``pip install "ray[tune]"`` (pyarrow). Two engines, the same algorithm:

- ``--engine tune`` runs the real Ray Tune runtime (``tune.Tuner``, one trial at a time with
  ``max_concurrent_trials=1``, so every ASHA decision depends only on earlier trials). On the
  shared 2-core development machine this costs seconds of Tune overhead per *trial* (one seed
  of 30 synthetic trials took 396 s of wall time for 15 s of CPU), which is too slow for
  thousands of epochs per run.
- ``--engine scheduler`` (default) drives Ray Tune's own ``ASHAScheduler`` object in process:
  trials are sampled from the same Ray Tune search-space domains (``Domain.sample``, seeded),
  run one after another, and every epoch's result goes through
  ``scheduler.on_trial_result`` exactly as the Tune controller passes it (``STOP`` ends the
  trial; a trial that reaches ``max_t`` goes through ``on_trial_complete``). With one trial at
  a time the scheduler's decisions are the same as under the runtime; ``--engine tune`` with
  ``--replay`` checks that by feeding the runtime's trials, in order, to the in-process driver.

The epochs are counted in trial order and the run is cut at the budget, as run.py does.

    nice -n 10 python benchmarks/multifidelity/ray_asha.py --task lcbench-3945 --seeds 10 \
        --budget 4000 --out /tmp/mf-ray.jsonl
    nice -n 10 python benchmarks/multifidelity/ray_asha.py --engine tune --replay \
        --task synthetic --seeds 1 --budget 150 --samples 30 --out /tmp/mf-ray-tune.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from tasks import TASKS, Task  # noqa: E402

METHOD = "ray-tune-asha"


class _SpaceRecorder:
    """Turns a task's ``suggest(trial)`` calls into Ray Tune search-space domains."""

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False):
        from ray import tune

        return tune.loguniform(low, high) if log else tune.uniform(low, high)

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False):
        from ray import tune

        # Ray's integer domains exclude the upper bound; the task's include it
        return tune.lograndint(low, high + 1) if log else tune.randint(low, high + 1)

    def suggest_categorical(self, name: str, choices: list[Any]):
        from ray import tune

        return tune.choice(list(choices))


def ray_space(task: Task) -> dict[str, Any]:
    """The task's search space as Ray Tune domains (same names, bounds and log scales)."""
    return task.suggest(_SpaceRecorder())


def _scheduler(task: Task):
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(metric="acc", mode="max", time_attr="epoch", max_t=task.max_epochs,
                         grace_period=1, reduction_factor=3)


class _Trial:
    """What ``ASHAScheduler`` reads from a trial: its id."""

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id


def drive(task: Task, configs, curve_seeds, budget: int) -> tuple[list[float], int, int]:
    """Run trials in order through Ray Tune's ``ASHAScheduler`` until ``budget`` epochs are
    spent; ``(accuracy per epoch, trials started, trials stopped early)``."""
    from ray.tune.schedulers import TrialScheduler

    sched = _scheduler(task)
    log: list[float] = []
    started = stopped = 0
    for i, (cfg, cs) in enumerate(zip(configs, curve_seeds)):
        if len(log) >= budget:
            break
        trial = _Trial(f"t{i:05d}")
        sched.on_trial_add(None, trial)
        started += 1
        result: dict[str, Any] = {}
        action = TrialScheduler.CONTINUE
        for epoch, acc in enumerate(task.curve(cfg, cs), start=1):
            log.append(acc)
            result = {"acc": acc, "epoch": epoch}
            if len(log) >= budget:
                break
            action = sched.on_trial_result(None, trial, result)
            if action == TrialScheduler.STOP:
                break
        if action == TrialScheduler.STOP and result["epoch"] < task.max_epochs:
            stopped += 1
        sched.on_trial_complete(None, trial, result)  # the controller does this on stop too
    return log, started, stopped


def _record(task: Task, seed: int, budget: int, log: list[float], started: int, stopped: int,
            seconds: float, engine: str, checkpoints: tuple[int, ...] = ()) -> dict[str, Any]:
    from run import best_at

    hit = next((i + 1 for i, a in enumerate(log) if a >= task.target), None)
    return {"task": task.name, "method": METHOD, "engine": engine, "seed": seed,
            "budget": budget, "target": task.target, "epochs_to_target": hit,
            "seconds_to_target": None, "best_acc": max(log), "epochs": len(log),
            "best_acc_at": best_at(log, [*checkpoints, budget]),
            "seconds": seconds, "n_trials": started, "n_pruned": stopped}


def run_scheduler(task: Task, seed: int, budget: int,
                  checkpoints: tuple[int, ...] = ()) -> dict[str, Any]:
    """Ray Tune's ASHAScheduler and search-space sampling, driven in process (module doc)."""
    import numpy as np

    space = ray_space(task)
    rs = np.random.RandomState(seed)
    t0 = time.perf_counter()

    def configs():
        while True:
            yield {k: d.sample(random_state=rs) for k, d in space.items()}

    def curve_seeds():
        i = 0
        while True:
            yield seed * 100_003 + i  # as run.py: seed * 100_003 + trial number
            i += 1

    log, started, stopped = drive(task, configs(), curve_seeds(), budget)
    return _record(task, seed, budget, log, started, stopped, time.perf_counter() - t0,
                   "scheduler", checkpoints)


def run_tune(task: Task, seed: int, budget: int, n_samples: int, replay: bool) -> dict[str, Any]:
    """The real Ray Tune runtime, one trial at a time (slow: see the module doc)."""
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    space = ray_space(task)
    names = list(space)

    def trainable(config):
        cfg = {k: config[k] for k in names}
        for epoch, acc in enumerate(task.curve(cfg, config["curve_seed"]), start=1):
            tune.report({"acc": acc, "epoch": epoch})

    tuner = tune.Tuner(
        trainable, param_space={**space, "curve_seed": tune.randint(0, 2**30)},
        tune_config=tune.TuneConfig(scheduler=_scheduler(task), num_samples=n_samples,
                                    max_concurrent_trials=1,
                                    search_alg=BasicVariantGenerator(random_state=seed)),
        run_config=tune.RunConfig(verbose=0, storage_path=f"/tmp/ray-results-{os.getpid()}"),
    )
    t0 = time.perf_counter()
    grid = tuner.fit()
    seconds = time.perf_counter() - t0
    trials = []
    for r in grid:
        df = r.metrics_dataframe
        if df is None or df.empty:
            continue
        trials.append((float(df["timestamp"].iloc[0]), list(df["acc"]), r.config))
    trials.sort(key=lambda t: t[0])
    log: list[float] = []
    for _, accs, _cfg in trials:
        log.extend(accs)
    n_stopped = sum(len(a) < task.max_epochs for _, a, _ in trials)
    out = _record(task, seed, budget, log[:budget], len(trials), n_stopped, seconds, "tune")
    if replay:
        # the same trials, in the same order, through the in-process driver: same decisions?
        cfgs = [{k: c[k] for k in names} for _, _, c in trials]
        rlog, _, _ = drive(task, cfgs, [c["curve_seed"] for _, _, c in trials], len(log))
        out["replay_same_epochs"] = rlog == log
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=sorted(TASKS), default="synthetic")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--seed-start", type=int, default=0)
    ap.add_argument("--budget", type=int, default=400)
    ap.add_argument("--engine", choices=["scheduler", "tune"], default="scheduler")
    ap.add_argument("--samples", type=int, default=120, help="trials (--engine tune only)")
    ap.add_argument("--replay", action="store_true",
                    help="--engine tune: check the in-process driver makes the same decisions")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    task = TASKS[args.task]()
    if args.engine == "tune":
        import ray

        ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR",
                 log_to_driver=False)
    with open(args.out, "a") as f:
        for seed in range(args.seed_start, args.seed_start + args.seeds):
            if args.engine == "tune":
                r = run_tune(task, seed, args.budget, args.samples, args.replay)
            else:
                r = run_scheduler(task, seed, args.budget)
            f.write(json.dumps(r) + "\n")
            f.flush()
            print(json.dumps(r), flush=True)
    if args.engine == "tune":
        ray.shutdown()


if __name__ == "__main__":
    main()
