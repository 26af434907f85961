"""Summarise ``run.py``'s JSON as the markdown tables of benchmarks/RESULTS.md.

    python benchmarks/transfer/report.py transfer.json   # or a stored .json.gz

- *trials to reach cold@64*: per seed, the first trial (1-based) at which the variant's best
  value is <= the cold study's best after 64 trials of the same seed ("> 64" if never);
  median over seeds, and how many seeds reach it within 64 / 3 = 21 trials.
- *value at 64*: mean and standard deviation over seeds; "within spread" when the mean of the
  warm-unrelated runs differs from the cold mean by at most the cold runs' standard deviation,
  "better than cold by more than its spread" or "WORSE ..." otherwise (values are minimised).
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict

import numpy as np

VARIANTS = ["warm-related", "enqueue-top5", "optuna-enqueue-top5", "warm-unrelated",
            "optuna-cold"]


def reach(curve: list[float], target: float) -> int:
    tol = 1e-12 * max(1.0, abs(target))
    for i, v in enumerate(curve):
        if v <= target + tol:
            return i + 1
    return len(curve) + 1  # never


def main(path: str) -> None:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        data = json.load(f)
    n = data["n_trials"]
    third = n // 3
    by_fam = defaultdict(list)
    for r in data["runs"]:
        by_fam[r["family"]].append(r)
    print(f"| family | variant | trials to reach cold@{n}: median (per seed) | seeds within "
          f"{third} | value at {third}: mean ± sd | value at {n}: mean ± sd |")
    print("|---|---|---|---|---|---|")
    for fam, runs in by_fam.items():
        cold = np.array([r["curves"]["cold"][-1] for r in runs])
        c21 = np.array([r["curves"]["cold"][third - 1] for r in runs])
        print(f"| {fam} | cold | — | — | {c21.mean():.5g} ± {c21.std(ddof=1):.2g} | "
              f"{cold.mean():.5g} ± {cold.std(ddof=1):.2g} |")
        for var in VARIANTS:
            if not all(var in r["curves"] for r in runs):
                continue  # a run with --skip-ablations
            ks = [reach(r["curves"][var], r["curves"]["cold"][-1]) for r in runs]
            vals = np.array([r["curves"][var][-1] for r in runs])
            v21 = np.array([r["curves"][var][third - 1] for r in runs])
            per = ", ".join(str(k) if k <= n else f">{n}" for k in ks)
            med = float(np.median(ks))
            med_s = f"{med:g}" if med <= n else f">{n}"
            within = sum(k <= third for k in ks)
            note = ""
            if var == "warm-unrelated":
                gap, sd = vals.mean() - cold.mean(), cold.std(ddof=1)
                note = (" (within cold spread)" if abs(gap) <= sd else
                        " (better than cold by more than its spread)" if gap < 0 else
                        " (WORSE than cold by more than its spread)")
            print(f"| {fam} | {var} | {med_s} ({per}) | {within}/{len(runs)} | "
                  f"{v21.mean():.5g} ± {v21.std(ddof=1):.2g} | "
                  f"{vals.mean():.5g} ± {vals.std(ddof=1):.2g}{note} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "transfer.json")
