"""hyperscout's TPESampler vs Optuna's TPESampler(multivariate=True), same functions, same run.

Quality: best value found in ``--trials`` sequential trials, mean +- std over ``--seeds`` seeds,
on synthetic functions with known optima (Branin, Hartmann-6, Rosenbrock-4d, Ackley-5d and a
mixed log/int/step/categorical space), with random search for scale. Speed: the sampler's own
time per suggestion (its methods timed, not the objective or the storage) once a study holds
``--timing-trials`` finished trials.

    pip install -e ".[bench]"
    python benchmarks/quality/tpe_vs_optuna.py                      # 100 trials x 5 seeds
    python benchmarks/quality/tpe_vs_optuna.py --seeds 10 --json out.json
    python benchmarks/quality/tpe_vs_optuna.py --timing-only        # time per suggestion
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from define_by_run import FUNCTIONS

# -- runners ------------------------------------------------------------------------------------


def run_hyperscout(func: Callable, n_trials: int, seed: int, sampler: str = "tpe",
                   **options: Any) -> float:
    import hyperscout as hs

    hs.set_verbosity("warning")
    if sampler == "random":
        s = hs.samplers.RandomSampler(seed=seed)
    else:
        s = hs.samplers.TPESampler(seed=seed, **options)
    study = hs.create_study(sampler=s)
    study.optimize(func, n_trials=n_trials)
    return study.best_value


def run_optuna(func: Callable, n_trials: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(multivariate=True, seed=seed))
    study.optimize(func, n_trials=n_trials)
    return study.best_value


# -- sampler time per suggestion -----------------------------------------------------------------

_TIMING_SPACE = {"x0": ("float", -5.0, 5.0, False), "x1": ("float", 1e-4, 1.0, True),
                 "x2": ("float", 0.0, 1.0, False), "n": ("int", 1, 64, False),
                 "c": ("cat", ("a", "b", "c"))}


def _timed(obj: Any, names: list[str], acc: dict[str, float]) -> None:
    for name in names:
        f = getattr(obj, name)

        @functools.wraps(f)
        def wrapper(*a: Any, _f: Callable = f, _n: str = name, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                acc[_n] = acc.get(_n, 0.0) + time.perf_counter() - t0

        setattr(obj, name, wrapper)


def _timing_objective(t: Any) -> float:
    v = 0.0
    for name, spec in _TIMING_SPACE.items():
        if spec[0] == "float":
            v += float(t.suggest_float(name, spec[1], spec[2], log=spec[3]))
        elif spec[0] == "int":
            v += t.suggest_int(name, spec[1], spec[2]) / 64
        else:
            v += len(t.suggest_categorical(name, list(spec[1])))
    return v + math.sin(7 * v)


def time_hyperscout(n_history: int, n_measure: int, seed: int = 0) -> float:
    import hyperscout as hs

    hs.set_verbosity("warning")
    study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=seed))
    study.optimize(_timing_objective, n_trials=n_history)
    sampler = hs.samplers.TPESampler(seed=seed)
    acc: dict[str, float] = {}
    _timed(sampler, ["infer_space", "sample_joint", "sample_one"], acc)
    study.sampler = sampler
    study.optimize(_timing_objective, n_trials=1)  # first call fills the caches
    acc.clear()
    study.optimize(_timing_objective, n_trials=n_measure)
    return sum(acc.values()) / n_measure


def time_optuna(n_history: int, n_measure: int, seed: int = 0) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(_timing_objective, n_trials=n_history)
    sampler = optuna.samplers.TPESampler(multivariate=True, seed=seed)
    acc: dict[str, float] = {}
    _timed(sampler, ["infer_relative_search_space", "sample_relative", "sample_independent"], acc)
    study.sampler = sampler
    study.optimize(_timing_objective, n_trials=1)
    acc.clear()
    study.optimize(_timing_objective, n_trials=n_measure)
    return sum(acc.values()) / n_measure


# -- main ---------------------------------------------------------------------------------------


def _fmt(xs: list[float]) -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.4g} ± {sd:.2g} ({statistics.median(xs):.3g})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--functions", nargs="*", default=list(FUNCTIONS), choices=list(FUNCTIONS))
    ap.add_argument("--no-random", action="store_true", help="skip random search")
    ap.add_argument("--timing-trials", type=int, default=1000)
    ap.add_argument("--timing-measure", type=int, default=30)
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)

    out: dict[str, Any] = {"command": " ".join(["python", *sys.argv]),
                           "python": platform.python_version(), "quality": {}, "timing": {}}
    if not args.timing_only:
        runners: dict[str, Callable] = {"hyperscout-tpe": run_hyperscout, "optuna-tpe": run_optuna}
        if not args.no_random:
            runners["random"] = functools.partial(run_hyperscout, sampler="random")
        print(f"best value after {args.trials} trials: mean ± std (median) over {args.seeds} seeds")
        print(f"{'function':<12} {'optimum':>9} " + " ".join(f"{k:>28}" for k in runners)
              + "   wins(hs vs optuna)")
        for fname in args.functions:
            func, opt = FUNCTIONS[fname]
            res: dict[str, list[float]] = {}
            for rname, run in runners.items():
                res[rname] = [run(func, args.trials, seed) for seed in range(args.seeds)]
            wins = sum(a < b for a, b in zip(res["hyperscout-tpe"], res["optuna-tpe"]))
            print(f"{fname:<12} {opt:>9.4g} " + " ".join(f"{_fmt(v):>28}" for v in res.values())
                  + f"   {wins}/{args.seeds}", flush=True)
            out["quality"][fname] = res
    if not args.no_timing:
        n, m = args.timing_trials, args.timing_measure
        hs_t = time_hyperscout(n, m)
        op_t = time_optuna(n, m)
        print(f"sampler time per suggestion at {n} trials (5 params, mean of {m}): "
              f"hyperscout {hs_t * 1e3:.2f} ms, optuna {op_t * 1e3:.2f} ms, "
              f"ratio {hs_t / op_t:.2f}")
        out["timing"] = {"n_history": n, "hyperscout_s": hs_t, "optuna_s": op_t}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
