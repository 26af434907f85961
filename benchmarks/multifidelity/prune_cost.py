"""Cost of one ``should_prune()`` as a study grows: hyperscout vs Optuna, in-memory storage.

For N finished trials (27 reports each), a new trial reports 27 steps and asks after each;
the time per report + should_prune pair is measured (median of 15 repeats of the 27 calls;
the first calls of a repeat in a new Hyperband bracket build that bracket's rung caches, O(N)
once).

    nice -n 10 python benchmarks/multifidelity/prune_cost.py
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
import hyperscout as hs  # noqa: E402


def fill(study, n: int, report, tell) -> None:
    rng = np.random.default_rng(0)
    for _ in range(n):
        t = study.ask()
        x = rng.random()
        for s in range(1, 28):
            report(t, x + 1.0 / s, s)
        tell(t, x)


def time_calls(study, report, prune, tell) -> float:
    times = []
    for _ in range(15):
        t = study.ask()
        t0 = time.perf_counter()
        for s in range(1, 28):
            report(t, 0.5 + 1.0 / s, s)
            prune(t)
        times.append((time.perf_counter() - t0) / 27)
        tell(t)  # finished, so the next repeat has one running trial too
    return float(np.median(times)) * 1e6


def main() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    hs.set_verbosity("WARNING")
    print("| pruner | N finished | hyperscout µs/call | Optuna µs/call | ratio |")
    print("|---|---|---|---|---|")
    for name in ("median", "asha", "hyperband"):
        for n in (100, 1000, 5000):
            hp = {"median": hs.pruners.MedianPruner(),
                  "asha": hs.pruners.ASHAPruner(min_resource=1, max_resource=27),
                  "hyperband": hs.pruners.HyperbandPruner(min_resource=1, max_resource=27)}[name]
            op = {"median": optuna.pruners.MedianPruner(),
                  "asha": optuna.pruners.SuccessiveHalvingPruner(min_resource=1),
                  "hyperband": optuna.pruners.HyperbandPruner(min_resource=1,
                                                              max_resource=27)}[name]
            hstudy = hs.create_study(pruner=hp, sampler=hs.samplers.RandomSampler(seed=0))
            fill(hstudy, n, lambda t, v, s: t.report(v, s), lambda t, v, st=hstudy: st.tell(t, v))
            h = time_calls(hstudy, lambda t, v, s: t.report(v, s), lambda t: t.should_prune(),
                           lambda t, st=hstudy: st.tell(t, state="pruned"))
            ostudy = optuna.create_study(pruner=op, sampler=optuna.samplers.RandomSampler(0))
            fill(ostudy, n, lambda t, v, s: t.report(v, s), lambda t, v, st=ostudy: st.tell(t, v))
            o = time_calls(ostudy, lambda t, v, s: t.report(v, s), lambda t: t.should_prune(),
                           lambda t, st=ostudy: st.tell(
                               t, state=optuna.trial.TrialState.PRUNED))
            print(f"| {name} | {n} | {h:.0f} | {o:.0f} | {o / h:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
