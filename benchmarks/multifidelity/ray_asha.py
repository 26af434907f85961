"""Ray Tune's ASHA (random search + ASHAScheduler) on the synthetic task, same metrics as run.py.

Needs ``pip install "ray[tune]"`` (pyarrow). On the shared 2-core development machine one seed
of 30 trials took 396 s of wall time (13 s per trial of Tune overhead; 15 s of CPU), so the
5-seed comparison was not run there; see benchmarks/RESULTS.md.

Trials run one at a time (``max_concurrent_trials=1``), so every ASHA decision depends only on
earlier trials; the epochs are then counted in trial order and the run is cut at the budget,
exactly as run.py does for the in-process methods.

    nice -n 10 python benchmarks/multifidelity/ray_asha.py --seeds 5 --budget 400 \
        --out /tmp/mf-ray.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tasks import Synthetic  # noqa: E402


def run_seed(seed: int, budget: int, n_samples: int) -> dict:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    task = Synthetic()

    def trainable(config):
        cfg = {k: config[k] for k in ("lr", "width", "wd", "dropout", "opt")}
        for epoch, acc in enumerate(task.curve(cfg, config["curve_seed"]), start=1):
            tune.report({"acc": acc, "epoch": epoch})

    space = {
        "lr": tune.loguniform(1e-4, 1.0), "width": tune.lograndint(16, 513),
        "wd": tune.loguniform(1e-6, 1e-1), "dropout": tune.uniform(0.0, 0.6),
        "opt": tune.choice(["sgd", "adam", "rmsprop"]),
        "curve_seed": tune.randint(0, 2**30),
    }
    sched = ASHAScheduler(metric="acc", mode="max", time_attr="epoch", max_t=task.max_epochs,
                          grace_period=1, reduction_factor=3)
    from ray.tune.search.basic_variant import BasicVariantGenerator

    tuner = tune.Tuner(
        trainable, param_space=space,
        tune_config=tune.TuneConfig(scheduler=sched, num_samples=n_samples,
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
        trials.append((float(df["timestamp"].iloc[0]), list(df["acc"])))
    trials.sort()
    log = []
    for _, accs in trials:
        for a in accs:
            if len(log) < budget:
                log.append(a)
    hit = next((i + 1 for i, a in enumerate(log) if a >= task.target), None)
    return {"task": "synthetic", "method": "ray-tune-asha (random search)", "seed": seed,
            "budget": budget, "target": task.target, "epochs_to_target": hit,
            "seconds_to_target": None, "best_acc": max(log), "epochs": len(log),
            "seconds": seconds, "n_trials": len(trials),
            "n_pruned": sum(len(a) < task.max_epochs for _, a in trials)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=400)
    ap.add_argument("--samples", type=int, default=120)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import ray

    ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR",
             log_to_driver=False)
    with open(args.out, "a") as f:
        for seed in range(args.seeds):
            r = run_seed(seed, args.budget, args.samples)
            f.write(json.dumps(r) + "\n")
            print(json.dumps(r), flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
