"""Run the multi-fidelity comparison: hyperscout's pruners and samplers vs Optuna, same run.

Each (method, seed) run is sequential and stops when its epoch budget is spent; every epoch of
every trial is logged with the running epoch count and wall time, so both "epochs to reach the
target" and "best accuracy at the budget" come from the same run.

    nice -n 10 python benchmarks/multifidelity/run.py --task synthetic --seeds 20 \
        --budget 600 --out /tmp/mf-synthetic.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from tasks import TASKS  # noqa: E402

METHODS = ["none", "optuna-tpe+median", "optuna-tpe+hyperband", "hs-tpe+asha",
           "hs-tpe+hyperband", "hs-bohb", "hs-mf+asha"]


class BudgetSpent(Exception):
    pass


def make_study(method: str, seed: int, max_epochs: int):
    """``(study, pruned_exception)`` for a method."""
    if method.startswith("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruner = {"optuna-tpe+median": optuna.pruners.MedianPruner(),
                  "optuna-tpe+hyperband": optuna.pruners.HyperbandPruner(
                      min_resource=1, max_resource=max_epochs, reduction_factor=3),
                  "optuna-tpe+asha": optuna.pruners.SuccessiveHalvingPruner(
                      min_resource=1, reduction_factor=3),
                  "optuna-tpe": optuna.pruners.NopPruner()}[method]
        study = optuna.create_study(direction="maximize", pruner=pruner,
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        return study, optuna.TrialPruned
    import hyperscout as hs

    hs.set_verbosity("WARNING")
    rungs = [1, 3, 9, 27]
    hb = hs.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs, seed=seed)
    asha = hs.pruners.ASHAPruner(min_resource=1, max_resource=max_epochs)
    mf = hs.samplers.MultiFidelityTPESampler
    sampler, pruner = {
        "none": (hs.samplers.TPESampler(seed=seed), None),
        "hs-tpe+asha": (hs.samplers.TPESampler(seed=seed), asha),
        "hs-tpe+hyperband": (hs.samplers.TPESampler(seed=seed), hb),
        "hs-tpe+median": (hs.samplers.TPESampler(seed=seed), hs.pruners.MedianPruner()),
        "hs-bohb": (mf(seed=seed, budgets=rungs), hb),
        "hs-mf+asha": (mf(seed=seed, budgets=rungs), asha),
    }[method]
    return hs.create_study(direction="maximize", sampler=sampler, pruner=pruner), hs.TrialPruned


def run_one(task, method: str, seed: int, budget: int) -> dict[str, Any]:
    study, pruned = make_study(method, seed, task.max_epochs)
    log: list[tuple[int, float, float]] = []  # (epochs so far, seconds so far, accuracy)
    t0 = time.perf_counter()
    n_trials = [0, 0]  # started, pruned

    def objective(trial):
        if len(log) >= budget:
            study.stop()
            raise pruned()
        n_trials[0] += 1
        cfg = task.suggest(trial)
        acc = 0.0
        for epoch, acc in enumerate(task.curve(cfg, seed * 100_003 + trial.number), start=1):
            log.append((len(log) + 1, time.perf_counter() - t0, acc))
            trial.report(acc, epoch)
            if len(log) >= budget:
                study.stop()
                return acc
            if trial.should_prune():
                n_trials[1] += 1
                raise pruned()
        return acc

    study.optimize(objective, n_trials=100_000)
    hit = next(((e, s) for e, s, a in log if a >= task.target), (None, None))
    return {"task": task.name, "method": method, "seed": seed, "budget": budget,
            "target": task.target, "epochs_to_target": hit[0], "seconds_to_target": hit[1],
            "best_acc": max(a for _, _, a in log), "epochs": len(log),
            "seconds": log[-1][1], "n_trials": n_trials[0], "n_pruned": n_trials[1]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, required=True, help="total epochs per run")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    task = TASKS[args.task]()
    with open(args.out, "a") as f:
        for seed in range(args.seeds):
            for method in args.methods.split(","):
                r = run_one(task, method, seed, args.budget)
                f.write(json.dumps(r) + "\n")
                f.flush()
                print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
