"""Where the configurations able to reach the target rank at early epochs (LCBench).

For each LCBench task, 1000 random configurations (seeded): the *capable* ones are those whose
curve reaches the task's target (the 98th percentile of final accuracy). For each capable one and
epoch k, its percentile among all 1000 at epoch k; printed: the minimum, the 10% quantile, and
the share in the top third (what an ``eta = 3`` rung at epoch k would keep if the other trials
were random). Also the epoch at which a capable configuration first reaches the target.

    python benchmarks/multifidelity/capable_rank.py
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from tasks import LCBENCH_INSTANCES, LCBench  # noqa: E402

EPOCHS = (1, 2, 3, 5, 9, 27)


def main() -> None:
    print("| task | capable of 1000 | first epoch at target, median (min) | "
          + " | ".join(f"epoch {k}: min / q10 / top third" for k in EPOCHS) + " |")
    print("|---" * (3 + len(EPOCHS)) + "|")
    for i in LCBENCH_INSTANCES:
        task = LCBench(i)
        rng = np.random.default_rng(7)
        curves = np.array([task._predict(task._random(rng)) for _ in range(1000)])  # noqa: SLF001
        best_so_far = np.maximum.accumulate(curves, axis=1)
        capable = np.where(best_so_far[:, -1] >= task.target)[0]
        first = [int(np.argmax(best_so_far[j] >= task.target)) + 1 for j in capable]
        cells = []
        for k in EPOCHS:
            pct = np.array([(curves[:, k - 1] < curves[j, k - 1]).mean() for j in capable])
            top_third = np.mean(pct >= 2 / 3)
            cells.append(f"{pct.min():.2f} / {np.quantile(pct, 0.1):.2f} / {top_third:.2f}")
        print(f"| lcbench-{i} | {len(capable)} | {np.median(first):.0f} ({min(first)}) | "
              + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
