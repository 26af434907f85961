"""How often parallel workers get (nearly) the same configuration from MultiFidelityGPSampler.

ASHA by promotion with the multi-fidelity GP as its base (``rank_by_model=True``), run with
``n_jobs`` threads on a noisy two-parameter objective that resumes from its checkpoint. Prints,
per seed, the number of configurations the GP proposed, how many pairs of them lie within
``--near`` of each other, and the best value found.

    python benchmarks/multifidelity/parallel_spread.py --seeds 0 1 2 --n-jobs 4 --trials 80

Measured numbers are in benchmarks/RESULTS.md (issue 4).
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

import hyperscout as hs


def run(seed: int, n_jobs: int, n_trials: int, near: float) -> tuple[int, int, float]:
    """``(GP proposals, pairs within near, best value)`` of one threaded study."""
    rng = np.random.default_rng(seed)
    lock = threading.Lock()

    def objective(trial: hs.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        start = int(trial.load_checkpoint() or 0)
        loss = float("nan")
        for step in range(start + 1, 10):
            time.sleep(0.002)  # a little work, so that the workers overlap
            with lock:
                noise = 0.02 * rng.normal()
            loss = (x - 0.7) ** 2 + (y - 0.2) ** 2 + 0.3 / step + noise
            trial.report(loss, step)
            if trial.should_prune():
                trial.save_checkpoint(str(step).encode())
                raise hs.TrialPruned()
        return loss

    base = hs.samplers.MultiFidelityGPSampler(seed=seed, budgets=[1, 3])
    promo = hs.samplers.PromotionASHASampler(base, min_resource=1, max_resource=9,
                                             rank_by_model=True)
    study = hs.create_study(sampler=promo, pruner=promo.pruner,
                            artifact_store=hs.artifacts.InMemoryArtifactStore())
    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)
    points = np.array([[t.params["x"], t.params["y"]] for t in study.trials
                       if t.system_attrs.get("sampler:mf_budget") == "joint"])
    dist = np.linalg.norm(points[:, None] - points[None], axis=-1)[np.triu_indices(len(points), 1)]
    return len(points), int((dist < near).sum()), float(study.best_value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n-jobs", type=int, default=4)
    ap.add_argument("--trials", type=int, default=80)
    ap.add_argument("--near", type=float, default=1e-3)
    args = ap.parse_args()
    hs.set_verbosity("warning")
    for seed in args.seeds:
        n, close, best = run(seed, args.n_jobs, args.trials, args.near)
        print(f"seed {seed}: {n} GP proposals, {close} pairs within {args.near}, best {best:.4f}")


if __name__ == "__main__":
    main()
