"""Framework overhead per trial: hyperscout vs Optuna, same objective, same machine, same run.

The objective is instant (it suggests a float, a log-int and a categorical and returns a number),
so the time per trial is the framework's own cost: sampling, bookkeeping and storage writes.
Both use random sampling and no logging. For each framework, storage and N we record the time
between consecutive objective calls, and report trials/s over the whole run and the mean cost of
the first and the last 100 trials (flatness in N).

    pip install -e ".[bench]"
    python benchmarks/overhead.py                       # N = 100, 1000, 10000; 3 repeats
    python benchmarks/overhead.py --sizes 100 1000 --repeats 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np


def _hyperscout_run(storage_kind: str, n: int, tmp: str, seed: int) -> list[float]:
    import hyperscout as hs

    hs.set_verbosity("warning")
    storage = None if storage_kind == "memory" else f"sqlite:///{tmp}/hs-{n}-{seed}.db"
    study = hs.create_study(storage=storage, sampler=hs.samplers.RandomSampler(seed=seed))
    stamps: list[float] = []

    def objective(trial: hs.Trial) -> float:
        stamps.append(time.perf_counter())
        x = trial.suggest_float("x", -10.0, 10.0)
        units = trial.suggest_int("units", 16, 512, log=True)
        act = trial.suggest_categorical("act", ["relu", "gelu", "tanh"])
        return x * x + units * 1e-3 + (act == "relu")

    study.optimize(objective, n_trials=n)
    stamps.append(time.perf_counter())
    return stamps


def _optuna_run(storage_kind: str, n: int, tmp: str, seed: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = None if storage_kind == "memory" else f"sqlite:///{tmp}/op-{n}-{seed}.db"
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=seed))
    stamps: list[float] = []

    def objective(trial: optuna.Trial) -> float:
        stamps.append(time.perf_counter())
        x = trial.suggest_float("x", -10.0, 10.0)
        units = trial.suggest_int("units", 16, 512, log=True)
        act = trial.suggest_categorical("act", ["relu", "gelu", "tanh"])
        return x * x + units * 1e-3 + (act == "relu")

    study.optimize(objective, n_trials=n)
    stamps.append(time.perf_counter())
    return stamps


RUNNERS: dict[str, Callable[[str, int, str, int], list[float]]] = {
    "hyperscout": _hyperscout_run,
    "optuna": _optuna_run,
}


def _summarise(stamps: list[float]) -> dict[str, float]:
    d = np.diff(stamps)
    k = min(100, len(d))
    return {
        "trials_per_s": len(d) / (stamps[-1] - stamps[0]),
        "first100_ms": float(np.mean(d[:k]) * 1e3),
        "last100_ms": float(np.mean(d[-k:]) * 1e3),
        "first100_median_ms": float(np.median(d[:k]) * 1e3),
        "last100_median_ms": float(np.median(d[-k:]) * 1e3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="per-trial overhead, hyperscout vs optuna")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--storages", nargs="+", default=["memory", "sqlite"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None, help="write raw results here")
    parser.add_argument(
        "--peer-max-sqlite", type=int, default=1000,
        help="largest N run for Optuna on SQLite (it takes ~90 ms/trial on this disk)",
    )
    args = parser.parse_args()

    import optuna
    import sqlalchemy

    import hyperscout

    print(f"python {platform.python_version()}, hyperscout {hyperscout.__version__}, "
          f"optuna {optuna.__version__}, sqlalchemy {sqlalchemy.__version__}, "
          f"numpy {np.__version__}, {os.cpu_count()} cpus, {platform.platform()}")
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for storage in args.storages:
            for n in args.sizes:
                names = ["hyperscout", "optuna"]
                if storage == "sqlite" and n > args.peer_max_sqlite:
                    names = ["hyperscout"]
                row: dict[str, list[dict[str, float]]] = {name: [] for name in names}
                for rep in range(args.repeats):
                    for name in names:  # interleaved: same machine state
                        row[name].append(_summarise(RUNNERS[name](storage, n, tmp, rep)))
                res = {"storage": storage, "n": n, "runs": row}
                results.append(res)
                hs_tps = [r["trials_per_s"] for r in row["hyperscout"]]
                line = (
                    f"{storage:6s} N={n:<6d} hyperscout {statistics.mean(hs_tps):9.0f} trials/s "
                    f"(min {min(hs_tps):.0f}, max {max(hs_tps):.0f})"
                )
                if "optuna" in row:
                    op_tps = [r["trials_per_s"] for r in row["optuna"]]
                    ratios = [h / o for h, o in zip(hs_tps, op_tps)]
                    line += (
                        f" | optuna {statistics.mean(op_tps):8.0f} trials/s (min {min(op_tps):.0f},"
                        f" max {max(op_tps):.0f}) | ratio {statistics.mean(ratios):5.1f}x "
                        f"(min {min(ratios):.1f}, max {max(ratios):.1f})"
                    )
                else:
                    line += f" | optuna not run (N > --peer-max-sqlite={args.peer_max_sqlite})"
                if n >= 1000:
                    for name in row:
                        f = statistics.mean(r["first100_ms"] for r in row[name])
                        la = statistics.mean(r["last100_ms"] for r in row[name])
                        fm = statistics.mean(r["first100_median_ms"] for r in row[name])
                        lm = statistics.mean(r["last100_median_ms"] for r in row[name])
                        line += (f"\n{'':15s}{name}: first 100 mean {f:.3f} / median {fm:.3f} "
                                 f"ms/trial, last 100 mean {la:.3f} / median {lm:.3f}")
                print(line, flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"argv": sys.argv, "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
