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

import numpy as np

# -- objective functions (written against the suggest API both libraries share) --------------


def branin(t: Any) -> float:
    x1 = t.suggest_float("x1", -5.0, 10.0)
    x2 = t.suggest_float("x2", 0.0, 15.0)
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(t: Any) -> float:
    x = np.array([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)])
    return float(-_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


def rosenbrock4(t: Any) -> float:
    x = np.array([t.suggest_float(f"x{i}", -5.0, 10.0) for i in range(4)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley5(t: Any) -> float:
    x = np.array([t.suggest_float(f"x{i}", -32.768, 32.768) for i in range(5)])
    d = len(x)
    return float(-20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d))
                 - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + math.e)


_ACT = {"relu": 0.3, "tanh": 0.6, "gelu": 0.0, "sigmoid": 1.0, "elu": 0.4}


def mixed(t: Any) -> float:
    """A practitioner-style space: log float, log int, int, stepped float, categorical."""
    lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = t.suggest_int("units", 8, 512, log=True)
    depth = t.suggest_int("depth", 1, 12)
    dropout = t.suggest_float("dropout", 0.0, 0.5, step=0.05)
    act = t.suggest_categorical("act", list(_ACT))
    x = t.suggest_float("wd", -4.0, 4.0)
    return ((math.log10(lr) + 2.5) ** 2 + 0.25 * (math.log2(units) - math.log2(96)) ** 2
            + ((depth - 7) / 3) ** 2 + (4 * (dropout - 0.15)) ** 2 + _ACT[act]
            + 0.2 * (x - 1.0) ** 2 + 0.3 * (math.log10(lr) + 2.5) * (x - 1.0))


FUNCTIONS: dict[str, tuple[Callable[[Any], float], float]] = {
    "branin": (branin, 0.397887),
    "hartmann6": (hartmann6, -3.32237),
    "rosenbrock4": (rosenbrock4, 0.0),
    "ackley5": (ackley5, 0.0),
    "mixed": (mixed, 0.0),
}

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
