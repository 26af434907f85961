"""fANOVA importance: hyperscout vs Optuna's FanovaImportanceEvaluator, same trials, same run.

A 10-parameter study (floats, a log float, an int, categoricals; four parameters irrelevant) is
filled with N random trials once per seed; the same trials are copied into an Optuna study.
Both evaluators get 64 trees of depth 64 and the seed. We time each call and compare the
rankings: Spearman and Kendall between the two, and each one's Spearman with the ground truth
(the analytic share of variance of each additive term). PED-ANOVA (both libraries) is timed too.

    PYTHONPATH=src python benchmarks/importance/fanova_vs_optuna.py            # N=1000, seeds 0-2
    PYTHONPATH=src python benchmarks/importance/fanova_vs_optuna.py --n 300 --seeds 0
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time

import numpy as np

WEIGHTS = {"a": 8.0, "lr": 5.0, "b": 3.0, "units": 2.0, "opt": 1.5, "c": 1.0,
           "d": 0.0, "e": 0.0, "act": 0.0, "f": 0.0}
OPT_EFFECT = {"sgd": 1.0, "adam": 0.0, "rmsprop": 0.5}


def unit_terms(p: dict) -> dict[str, float]:
    """Each parameter's term in [0, 1] (the objective is sum_k WEIGHTS[k] * term_k)."""
    return {
        "a": p["a"], "b": p["b"], "c": p["c"], "d": p["d"], "e": p["e"], "f": p["f"],
        "lr": (math.log10(p["lr"]) + 5) / 4, "units": (p["units"] - 1) / 9,
        "opt": OPT_EFFECT[p["opt"]], "act": 0.0,
    }


def truth() -> dict[str, float]:
    """Analytic variance share of each term under the sampling distribution."""
    var = {k: 1 / 12 for k in "abcdef"}
    var["lr"] = 1 / 12
    var["units"] = np.var((np.arange(1, 11) - 1) / 9)
    var["opt"] = np.var(list(OPT_EFFECT.values()))
    var["act"] = 0.0
    total = {k: WEIGHTS[k] ** 2 * var[k] for k in WEIGHTS}
    s = sum(total.values())
    return {k: v / s for k, v in total.items()}


def make_trials(n: int, seed: int) -> list[tuple[dict, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = {k: float(rng.random()) for k in "abcdef"}
        p["lr"] = float(10 ** rng.uniform(-5, -1))
        p["units"] = int(rng.integers(1, 11))
        p["opt"] = ["sgd", "adam", "rmsprop"][int(rng.integers(3))]
        p["act"] = ["relu", "tanh"][int(rng.integers(2))]
        terms = unit_terms(p)
        y = sum(WEIGHTS[k] * terms[k] for k in WEIGHTS) + 0.05 * rng.standard_normal()
        out.append((p, float(y)))
    return out


def hs_study(rows):
    import hyperscout as hs
    from hyperscout.space import Categorical, Float, Int

    hs.set_verbosity("warning")
    space = {**{k: Float(0, 1) for k in "abcdef"}, "lr": Float(1e-5, 1e-1, log=True),
             "units": Int(1, 10), "opt": Categorical(["sgd", "adam", "rmsprop"]),
             "act": Categorical(["relu", "tanh"])}
    study = hs.create_study()
    for p, y in rows:
        t = study.ask(space, fixed=p)
        study.tell(t, y)
    return study


def optuna_study(rows):
    import optuna
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {**{k: FloatDistribution(0, 1) for k in "abcdef"},
             "lr": FloatDistribution(1e-5, 1e-1, log=True), "units": IntDistribution(1, 10),
             "opt": CategoricalDistribution(["sgd", "adam", "rmsprop"]),
             "act": CategoricalDistribution(["relu", "tanh"])}
    study = optuna.create_study()
    study.add_trials([optuna.trial.create_trial(params=p, distributions=dists, value=y)
                      for p, y in rows])
    return study


def ranks_agree(a: dict[str, float], b: dict[str, float]) -> tuple[float, float]:
    from scipy.stats import kendalltau, spearmanr

    keys = sorted(WEIGHTS)
    x, y = [a[k] for k in keys], [b[k] for k in keys]
    return float(spearmanr(x, y).statistic), float(kendalltau(x, y).statistic)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import optuna
    import sklearn
    from optuna.importance import (
        FanovaImportanceEvaluator,
        PedAnovaImportanceEvaluator,
        get_param_importances,
    )

    import hyperscout as hs
    from hyperscout.importance import FanovaImportance, PedAnovaImportance, param_importances

    gt = truth()
    results = []
    for seed in args.seeds:
        rows = make_trials(args.n, seed)
        hss, ops = hs_study(rows), optuna_study(rows)
        hs_imp, hs_t = timed(param_importances, hss,
                             evaluator=FanovaImportance(n_trees=64, max_depth=64, seed=seed))
        op_imp, op_t = timed(get_param_importances, ops,
                             evaluator=FanovaImportanceEvaluator(n_trees=64, max_depth=64,
                                                                 seed=seed))
        hs_ped, hs_pt = timed(param_importances, hss, evaluator=PedAnovaImportance())
        op_ped, op_pt = timed(get_param_importances, ops, evaluator=PedAnovaImportanceEvaluator())
        rho, tau = ranks_agree(hs_imp, op_imp)
        res = {
            "seed": seed, "n": args.n,
            "hs_fanova_s": hs_t, "optuna_fanova_s": op_t,
            "hs_ped_s": hs_pt, "optuna_ped_s": op_pt,
            "spearman_hs_optuna": rho, "kendall_hs_optuna": tau,
            "spearman_hs_truth": ranks_agree(hs_imp, gt)[0],
            "spearman_optuna_truth": ranks_agree(op_imp, gt)[0],
            "spearman_hs_ped_truth": ranks_agree(hs_ped, gt)[0],
            "spearman_optuna_ped_truth": ranks_agree(op_ped, gt)[0],
            "top3_hs": list(hs_imp)[:3], "top3_optuna": list(op_imp)[:3],
            "hs": hs_imp, "optuna": op_imp,
        }
        results.append(res)
        print(json.dumps({k: v for k, v in res.items() if k not in ("hs", "optuna")}), flush=True)

    def agg(key):
        vals = [r[key] for r in results]
        return statistics.mean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)

    print(f"\nN={args.n}, seeds={args.seeds}; hyperscout {hs.__version__}, optuna "
          f"{optuna.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"Python {platform.python_version()}")
    print("truth:", {k: round(float(v), 3) for k, v in sorted(gt.items(), key=lambda kv: -kv[1])})
    for key in ("hs_fanova_s", "optuna_fanova_s", "hs_ped_s", "optuna_ped_s",
                "spearman_hs_optuna", "kendall_hs_optuna", "spearman_hs_truth",
                "spearman_optuna_truth", "spearman_hs_ped_truth", "spearman_optuna_ped_truth"):
        m, s = agg(key)
        print(f"{key:28s} {m:9.4f} ± {s:.4f}")
    ratios = [r["hs_fanova_s"] / r["optuna_fanova_s"] for r in results]
    print(f"{'fanova time ratio hs/optuna':28s} {statistics.mean(ratios):9.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
