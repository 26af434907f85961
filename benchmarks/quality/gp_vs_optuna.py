"""hyperscout's GPSampler vs Optuna's GPSampler, same functions, same run.

Quality: best value found in ``--trials`` sequential trials, mean +- std over ``--seeds`` seeds,
on synthetic functions with known optima (Branin, Hartmann-6, Rosenbrock-4d, Ackley-5d and a
mixed log/int/step/categorical space), with random search for scale. Both GP samplers use their
defaults (10 startup trials). Speed: the sampler's own time per suggestion (its methods timed,
not the objective or the storage) once a study holds ``--timing-trials`` finished trials
(random-search history, 6 floats; and the mixed space), mean over ``--timing-measure``
suggestions after one warm-up suggestion.

Optuna's GPSampler needs torch (``pip install torch``) and runs faster with ``greenlet``
installed (its batched L-BFGS-B); both were installed for the numbers in the report.
By default both libraries run with ``OMP_NUM_THREADS=1`` and ``OPENBLAS_NUM_THREADS=1`` (set
before numpy/torch load; Optuna's docs recommend this for its GPSampler): on a small or loaded
machine multi-threaded BLAS on small matrices only adds contention. ``--native-threads`` keeps
the environment as it is.

    pip install -e ".[bench]" torch greenlet
    python benchmarks/quality/gp_vs_optuna.py                       # 80 trials x 5 seeds
    python benchmarks/quality/gp_vs_optuna.py --functions branin --seeds 3 --workers 2
    python benchmarks/quality/gp_vs_optuna.py --timing-only         # time per suggestion
"""

from __future__ import annotations

import os
import sys

if "--native-threads" not in sys.argv:  # before numpy / torch are imported
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from define_by_run import FUNCTIONS, mixed  # noqa: E402

# -- runners ------------------------------------------------------------------------------------


def _hs_sampler(name: str, seed: int, options: dict[str, Any]) -> Any:
    import hyperscout as hs

    if name == "random":
        return hs.samplers.RandomSampler(seed=seed)
    return hs.samplers.GPSampler(seed=seed, **options)


def run_hyperscout(fname: str, n_trials: int, seed: int, sampler: str = "gp",
                   options: dict[str, Any] | None = None) -> tuple[float, float]:
    import hyperscout as hs

    hs.set_verbosity("warning")
    study = hs.create_study(sampler=_hs_sampler(sampler, seed, options or {}))
    t0 = time.perf_counter()
    study.optimize(FUNCTIONS[fname][0], n_trials=n_trials)
    return study.best_value, time.perf_counter() - t0


def run_optuna(fname: str, n_trials: int, seed: int) -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    t0 = time.perf_counter()
    study.optimize(FUNCTIONS[fname][0], n_trials=n_trials)
    return study.best_value, time.perf_counter() - t0


RUNNERS: dict[str, Callable[..., tuple[float, float]]] = {
    "hyperscout-gp": run_hyperscout,
    "optuna-gp": run_optuna,
    "random": functools.partial(run_hyperscout, sampler="random"),
}

# -- sampler time per suggestion -----------------------------------------------------------------


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


def _timing_functions() -> dict[str, Callable[[Any], float]]:
    def floats6(t: Any) -> float:
        x = np.array([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)])
        return float(np.sum((x - 0.3) ** 2) + 0.1 * np.sin(9 * x).sum())

    return {"floats6": floats6, "mixed": mixed}


def time_hyperscout(fname: str, n_history: int, n_measure: int, seed: int = 0) -> float:
    import hyperscout as hs

    hs.set_verbosity("warning")
    func = _timing_functions()[fname]
    study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=seed))
    study.optimize(func, n_trials=n_history)
    sampler = hs.samplers.GPSampler(seed=seed)
    acc: dict[str, float] = {}
    _timed(sampler, ["infer_space", "sample_joint", "sample_one"], acc)
    study.sampler = sampler
    study.optimize(func, n_trials=1)  # first call: cold hyperparameter fit
    acc.clear()
    study.optimize(func, n_trials=n_measure)
    return sum(acc.values()) / n_measure


def time_optuna(fname: str, n_history: int, n_measure: int, seed: int = 0) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    func = _timing_functions()[fname]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(func, n_trials=n_history)
    sampler = optuna.samplers.GPSampler(seed=seed)
    acc: dict[str, float] = {}
    _timed(sampler, ["infer_relative_search_space", "sample_relative", "sample_independent"],
           acc)
    study.sampler = sampler
    study.optimize(func, n_trials=1)
    acc.clear()
    study.optimize(func, n_trials=n_measure)
    return sum(acc.values()) / n_measure


# -- main ---------------------------------------------------------------------------------------


def _fmt(xs: list[float]) -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.4g} ± {sd:.2g}"


def _job(rname: str, fname: str, n_trials: int, seed: int,
         options: dict[str, Any]) -> tuple[float, float]:
    if rname == "hyperscout-gp":
        return run_hyperscout(fname, n_trials, seed, options=options)
    return RUNNERS[rname](fname, n_trials, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--trials", type=int, default=80)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--functions", nargs="*", default=list(FUNCTIONS), choices=list(FUNCTIONS))
    ap.add_argument("--samplers", nargs="*", default=list(RUNNERS), choices=list(RUNNERS))
    ap.add_argument("--workers", type=int, default=1, help="processes for the quality runs")
    ap.add_argument("--gp-options", default="{}",
                    help="JSON dict of GPSampler options (for tuning)")
    ap.add_argument("--timing-trials", type=int, default=300)
    ap.add_argument("--timing-measure", type=int, default=30)
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--native-threads", action="store_true",
                    help="do not force one BLAS/OpenMP thread")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    options = json.loads(args.gp_options)

    out: dict[str, Any] = {"command": " ".join(["python", *sys.argv]),
                           "python": platform.python_version(), "quality": {}, "timing": {}}
    if not args.timing_only:
        names = args.samplers
        print(f"best value after {args.trials} trials, mean ± std over {args.seeds} seeds "
              "[mean wall time per run]")
        print(f"{'function':<12} {'optimum':>9} " + " ".join(f"{k:>28}" for k in names)
              + "   wins(hs<optuna)")
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for fname in args.functions:
                futs = {(r, s): pool.submit(_job, r, fname, args.trials, s, options)
                        for r in names for s in range(args.seeds)}
                res = {r: [futs[r, s].result() for s in range(args.seeds)] for r in names}
                best = {r: [v for v, _ in res[r]] for r in names}
                cells = [f"{_fmt(best[r])} [{statistics.mean(t for _, t in res[r]):.0f}s]"
                         for r in names]
                wins = ""
                if "hyperscout-gp" in best and "optuna-gp" in best:
                    w = sum(a < b for a, b in zip(best["hyperscout-gp"], best["optuna-gp"]))
                    wins = f"{w}/{args.seeds}"
                print(f"{fname:<12} {FUNCTIONS[fname][1]:>9.4g} "
                      + " ".join(f"{c:>28}" for c in cells) + f"   {wins}", flush=True)
                out["quality"][fname] = res
    if not args.no_timing:
        n, m = args.timing_trials, args.timing_measure
        for fname in _timing_functions():
            hs_t = time_hyperscout(fname, n, m)
            op_t = time_optuna(fname, n, m)
            print(f"sampler time per suggestion at {n} trials ({fname}, mean of {m}): "
                  f"hyperscout {hs_t * 1e3:.1f} ms, optuna {op_t * 1e3:.1f} ms, "
                  f"ratio {hs_t / op_t:.3f}", flush=True)
            out["timing"][fname] = {"n_history": n, "hyperscout_s": hs_t, "optuna_s": op_t}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
