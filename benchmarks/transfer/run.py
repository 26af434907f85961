"""Warm-start benchmark: how many trials a warm-started study needs to reach the value a cold
study reaches after 64 trials, and what an unrelated prior costs.

    nice -n 10 python benchmarks/transfer/run.py --seeds 0 1 2 3 4 --json transfer.json

Per family (``tasks.py``) and seed:

1. prior studies: each related and unrelated prior task, 64 trials of hyperscout's default
   sampler (seed ``1000 + seed``);
2. ``cold``: the target, 64 trials, default sampler (seed ``seed``);
3. ``warm-related``: ``create_study(warm_start=<the related priors>)``, 64 trials;
4. ``warm-unrelated``: ``create_study(warm_start=[<the unrelated prior>])``, 64 trials;
5. ``enqueue-top5``: the cold sampler with the related priors' 5 best configurations enqueued
   first (the usual manual warm start; an ablation of the model transfer);
6. ``optuna-enqueue-top5``: the same with Optuna's TPESampler (the peer's way to warm-start).

``--skip-ablations`` runs only 1–4 (for comparing changes to the transfer sampler; about half
the time).

Reported (``report.py``): for each warm variant, the first trial at which its best value is at
least as good as the cold study's best after 64 trials (same seed), and the best value at 64.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import tasks  # noqa: E402

import hyperscout as hs  # noqa: E402

N_TRIALS = 64


def _hs_objective(space, f):
    def objective(trial):
        return f({k: trial.suggest(k, d) for k, d in space.items()})
    return objective


def _curve(values) -> list[float]:
    return np.minimum.accumulate(np.asarray(values, dtype=float)).tolist()


def run_hs(space, f, seed, warm_start=None, enqueue=(), storage=None, name=None):
    study = hs.create_study(name=name, storage=storage, seed=seed, warm_start=warm_start)
    for p in enqueue:
        study.enqueue_trial(p)
    study.optimize(_hs_objective(space, f), n_trials=N_TRIALS)
    return study, [t.values[0] for t in study.trials]


def run_optuna(space, f, seed, enqueue=()):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    for p in enqueue:
        study.enqueue_trial(dict(p))

    def objective(trial):
        params = {}
        for k, d in space.items():
            if isinstance(d, hs.Categorical):
                params[k] = trial.suggest_categorical(k, list(d.choices))
            else:
                params[k] = trial.suggest_float(k, d.low, d.high, log=d.log)
        return f(params)

    study.optimize(objective, n_trials=N_TRIALS)
    return [t.value for t in study.trials]


def top_configs(studies, k=5):
    """The k best configurations over the studies, round-robin by rank (no model, no
    diversity: what a user would enqueue by hand)."""
    ranked = [sorted(s.trials, key=lambda t: t.values[0]) for s in studies]
    out = []
    for r in range(k):
        for trials in ranked:
            if r < len(trials) and len(out) < k:
                out.append(dict(trials[r].params))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--families", nargs="+", default=None)
    ap.add_argument("--json", default="transfer.json")
    ap.add_argument("--skip-ablations", action="store_true",
                    help="run only cold, warm-related and warm-unrelated (not the enqueue-top5 "
                         "and Optuna variants): for comparing changes to the transfer sampler")
    args = ap.parse_args()
    hs.set_verbosity("warning")
    fams = tasks.families()
    names = args.families or list(fams)
    out = {"n_trials": N_TRIALS, "seeds": args.seeds, "runs": []}
    for fam_name in names:
        fam = fams[fam_name]
        for seed in args.seeds:
            t0 = time.time()
            store = hs.storage.InMemoryStorage()
            related = [run_hs(fam.space, f, 1000 + seed, storage=store, name=n)[0]
                       for n, f in fam.related.items()]
            unrelated = [run_hs(fam.space, f, 1000 + seed, storage=store, name=n)[0]
                         for n, f in fam.unrelated.items()]
            rec = {"family": fam_name, "seed": seed, "curves": {}, "weights": {}}
            _, v = run_hs(fam.space, fam.target, seed)
            rec["curves"]["cold"] = _curve(v)
            s, v = run_hs(fam.space, fam.target, seed, warm_start=related)
            rec["curves"]["warm-related"] = _curve(v)
            rec["weights"]["warm-related"] = [
                t.system_attrs.get("sampler:transfer", {}).get("weights") for t in s.trials]
            s, v = run_hs(fam.space, fam.target, seed, warm_start=unrelated)
            rec["curves"]["warm-unrelated"] = _curve(v)
            rec["weights"]["warm-unrelated"] = [
                t.system_attrs.get("sampler:transfer", {}).get("weights") for t in s.trials]
            if not args.skip_ablations:
                top = top_configs(related)
                _, v = run_hs(fam.space, fam.target, seed, enqueue=top)
                rec["curves"]["enqueue-top5"] = _curve(v)
                rec["curves"]["optuna-cold"] = _curve(run_optuna(fam.space, fam.target, seed))
                rec["curves"]["optuna-enqueue-top5"] = _curve(
                    run_optuna(fam.space, fam.target, seed, enqueue=top))
            rec["seconds"] = round(time.time() - t0, 1)
            out["runs"].append(rec)
            c = rec["curves"]
            print(f"{fam_name} seed {seed}: cold {c['cold'][-1]:.5g} related "
                  f"{c['warm-related'][-1]:.5g} unrelated {c['warm-unrelated'][-1]:.5g} "
                  f"({rec['seconds']} s)", flush=True)
            Path(args.json).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
