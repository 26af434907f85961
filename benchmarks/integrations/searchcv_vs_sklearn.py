"""HyperscoutSearchCV vs scikit-learn's GridSearchCV and RandomizedSearchCV at equal budget.

Three bundled datasets (digits, breast cancer, wine), one estimator each (an RBF SVM in a
scaling pipeline, tuned over log-scaled ``C`` and ``gamma``), the same budget of candidates for
every method (a 5 x 5 log grid for GridSearchCV; 25 log-uniform draws for RandomizedSearchCV;
25 trials of hyperscout's default sampler, without and with the median pruner across folds),
the same 5-fold stratified splits per seed, ``n_jobs=1`` everywhere. Reports the best mean CV
accuracy each method found, the accuracy of its refit model on a held-out quarter, and the wall
time, over seeds.

    nice -n 10 python benchmarks/integrations/searchcv_vs_sklearn.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

import hyperscout as hs
from hyperscout.integrations.sklearn import HyperscoutSearchCV

BUDGET = 25
C_RANGE = (1e-2, 1e3)
GAMMA_RANGE = (1e-5, 1e0)


def datasets():
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    return {"digits": load_digits(return_X_y=True),
            "breast_cancer": load_breast_cancer(return_X_y=True),
            "wine": load_wine(return_X_y=True)}


def methods(seed: int):
    from scipy.stats import loguniform
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    side = int(round(BUDGET ** 0.5))
    grid = {"svc__C": list(np.geomspace(*C_RANGE, side)),
            "svc__gamma": list(np.geomspace(*GAMMA_RANGE, side))}
    dists = {"svc__C": loguniform(*C_RANGE), "svc__gamma": loguniform(*GAMMA_RANGE)}
    space = {"svc__C": hs.Float(*C_RANGE, log=True), "svc__gamma": hs.Float(*GAMMA_RANGE, log=True)}
    return {
        "GridSearchCV": lambda est, cv: GridSearchCV(est, grid, cv=cv, n_jobs=1),
        "RandomizedSearchCV": lambda est, cv: RandomizedSearchCV(
            est, dists, n_iter=BUDGET, cv=cv, n_jobs=1, random_state=seed),
        "HyperscoutSearchCV": lambda est, cv: HyperscoutSearchCV(
            est, space, n_trials=BUDGET, cv=cv, n_jobs=1, random_state=seed),
        "HyperscoutSearchCV+median": lambda est, cv: HyperscoutSearchCV(
            est, space, n_trials=BUDGET, cv=cv, n_jobs=1, random_state=seed,
            pruner=hs.pruners.MedianPruner(n_startup_trials=5)),
    }


def main() -> None:
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    hs.set_verbosity("WARNING")
    rows = []
    for name, (X, y) in datasets().items():
        for seed in args.seeds:
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed,
                                                      stratify=y)
            cv = StratifiedKFold(5, shuffle=True, random_state=seed)
            for method, make in methods(seed).items():  # same seed: methods back to back
                search = make(make_pipeline(StandardScaler(), SVC()), cv)
                t0 = time.perf_counter()
                search.fit(X_tr, y_tr)
                wall = time.perf_counter() - t0
                row = {"dataset": name, "seed": seed, "method": method,
                       "best_cv": float(search.best_score_),
                       "test": float(search.score(X_te, y_te)), "wall_s": wall,
                       "candidates": len(search.cv_results_["params"])}
                if "state" in search.cv_results_:
                    row["pruned"] = int(sum(s == "PRUNED" for s in search.cv_results_["state"]))
                rows.append(row)
                print(json.dumps(row), flush=True)
    print()
    print("| dataset | method | best CV accuracy, mean (min–max) | held-out accuracy, mean | "
          "wall s, mean (min–max) | time vs Randomized |")
    print("|---|---|---|---|---|---|")
    for name in datasets():
        ref = {r["seed"]: r["wall_s"] for r in rows
               if r["dataset"] == name and r["method"] == "RandomizedSearchCV"}
        for method in methods(0):
            sel = [r for r in rows if r["dataset"] == name and r["method"] == method]
            cvs, walls = [r["best_cv"] for r in sel], [r["wall_s"] for r in sel]
            ratio = statistics.mean(r["wall_s"] / ref[r["seed"]] for r in sel)
            extra = (f" ({sum(r.get('pruned', 0) for r in sel)} of "
                     f"{sum(r['candidates'] for r in sel)} pruned)" if "median" in method else "")
            print(f"| {name} | {method}{extra} | {statistics.mean(cvs):.4f} "
                  f"({min(cvs):.4f}–{max(cvs):.4f}) | {statistics.mean(r['test'] for r in sel):.4f}"
                  f" | {statistics.mean(walls):.2f} ({min(walls):.2f}–{max(walls):.2f}) | "
                  f"{ratio:.2f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"python": sys.version.split()[0], "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
