"""Where a multi-fidelity run loses epochs: the sampler's proposals or the pruner's decisions.

For each LCBench task and seed, runs ``method`` as run.py does (budget 4000) and, for every
trial, also computes the configuration's whole learning curve (the surrogate is cheap), so
one can tell the first trial whose configuration *could* reach the target (its full curve
does) from the trial that actually reached it (earlier capable configurations were pruned).

    python benchmarks/multifidelity/first_good.py --method hs-bohb --seeds 100 101 102
    # prints per task: (first capable trial, trial that reached the target, epochs, capable
    # trials started before the hit) for each seed, then medians over all runs
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import run as R  # noqa: E402
from tasks import LCBENCH_INSTANCES, TASKS  # noqa: E402


def one(task, method: str, seed: int, budget: int) -> tuple[int | None, int | None, int | None,
                                                              int]:
    study, pruned = R.make_study(method, seed, task.max_epochs)
    log: list[float] = []
    info: list[tuple[int, bool]] = []  # (epochs before the trial, its config can reach target)

    def objective(trial):
        if len(log) >= budget:
            study.stop()
            raise pruned()
        cfg = task.suggest(trial)
        full = list(task.curve(cfg, seed * 100_003 + trial.number))
        info.append((len(log), max(full) >= task.target))
        acc = 0.0
        for epoch, acc in enumerate(full, start=1):
            log.append(acc)
            trial.report(acc, epoch)
            if len(log) >= budget:
                study.stop()
                return acc
            if trial.should_prune():
                raise pruned()
        return acc

    study.optimize(objective, n_trials=100_000)
    hit = next((i + 1 for i, a in enumerate(log) if a >= task.target), None)
    first = next((k for k, (_, good) in enumerate(info) if good), None)
    hit_trial = None if hit is None else max(k for k, (e, _) in enumerate(info) if e < hit)
    n_good = sum(good for e, good in info if hit is None or e < hit)
    return first, hit_trial, hit, n_good


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", default="hs-bohb")
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(100, 106)))
    ap.add_argument("--budget", type=int, default=4000)
    args = ap.parse_args()
    firsts, hits, delayed, n = [], [], 0, 0
    for i in LCBENCH_INSTANCES:
        task = TASKS[f"lcbench-{i}"]()
        rows = [one(task, args.method, s, args.budget) for s in args.seeds]
        print(f"lcbench-{i} {args.method}: {rows}", flush=True)
        for first, hit_trial, _, _ in rows:
            n += 1
            if first is not None:
                firsts.append(first)
            if hit_trial is not None:
                hits.append(hit_trial)
                delayed += first is not None and hit_trial != first
    print(f"{args.method}: first capable trial median {np.median(firsts):.1f} (mean "
          f"{np.mean(firsts):.1f}); trial that reached the target median {np.median(hits):.1f};"
          f" an earlier capable trial was pruned in {delayed} of {n} runs")


if __name__ == "__main__":
    main()
