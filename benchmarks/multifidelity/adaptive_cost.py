"""Cost of ``AdaptiveHyperbandPruner`` as a study grows (in-memory storage, 27 reports a trial).

The study is filled with N trials that report and ask ``should_prune()`` after every report
(so every trial's bracket is drawn as it runs, as in normal use); then a new trial reports 27
steps and asks after each. Printed: the first call of the new trial (it draws the bracket:
rank correlations over the N finished trials), the median of the other 26 calls (median of 15
repeats), and the whole fill's wall time per trial. Also the catch-up cost: the same N
trials finished without any ``should_prune()`` call, then one call (it draws the brackets of
all N finished trials, each from the trials finished before it started).

    nice -n 10 python benchmarks/multifidelity/adaptive_cost.py
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
import hyperscout as hs  # noqa: E402


def study_with(n: int, ask_prune: bool):
    study = hs.create_study(pruner=hs.pruners.AdaptiveHyperbandPruner(
        min_resource=1, max_resource=27), sampler=hs.samplers.RandomSampler(seed=0))
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(n):
        t = study.ask()
        x = rng.random()
        pruned = False
        for s in range(1, 28):
            t.report(x + rng.normal(0, 0.3) / s, s)
            if ask_prune and t.should_prune():
                pruned = True
                break
        study.tell(t, state="pruned") if pruned else study.tell(t, x)
    return study, (time.perf_counter() - t0) / max(n, 1)


def main() -> None:
    hs.set_verbosity("WARNING")
    print("| N finished | first call of a new trial (ms) | other calls (µs) | fill, ms per trial "
          "| catch-up: one call after N unseen trials (s) |")
    print("|---|---|---|---|---|")
    for n in (100, 1000, 3000):
        study, fill = study_with(n, True)
        firsts, others = [], []
        for _ in range(15):
            t = study.ask()
            times = []
            for s in range(1, 28):
                t.report(0.5 + 1.0 / s, s)
                t0 = time.perf_counter()
                t.should_prune()
                times.append(time.perf_counter() - t0)
            firsts.append(times[0])
            others.append(float(np.median(times[1:])))
            study.tell(t, state="pruned")
        cold, _ = study_with(n, False)
        t = cold.ask()
        t.report(0.5, 1)
        t0 = time.perf_counter()
        t.should_prune()
        catch = time.perf_counter() - t0
        print(f"| {n} | {np.median(firsts) * 1e3:.1f} | {np.median(others) * 1e6:.0f} | "
              f"{fill * 1e3:.1f} | {catch:.1f} |", flush=True)


if __name__ == "__main__":
    main()
