"""How well an early epoch ranks LCBench configurations by their final (epoch-52) accuracy.

For each LCBench task, 500 random configurations (seeded, the sampling of the task's target):
Spearman's rank correlation between the accuracy at epoch k and at epoch 52, and the share of
the final top 10% that are in the top third at epoch k (what an ``eta = 3`` rung keeps).

    python benchmarks/multifidelity/fidelity_corr.py
"""

from __future__ import annotations

import os
import sys

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, os.path.dirname(__file__))
from tasks import LCBENCH_INSTANCES, LCBench  # noqa: E402

EPOCHS = (1, 3, 9, 27)


def main() -> None:
    print("| task | target | Spearman(epoch k, epoch 52), k = " + ", ".join(map(str, EPOCHS))
          + " | final top 10% in the top third at epoch k |")
    print("|---|---|---|---|")
    for i in LCBENCH_INSTANCES:
        task = LCBench(i)
        rng = np.random.default_rng(7)
        curves = np.array([task._predict(task._random(rng)) for _ in range(500)])  # noqa: SLF001
        final = curves[:, -1]
        top = final >= np.percentile(final, 90)
        rho = [spearmanr(curves[:, k - 1], final)[0] for k in EPOCHS]
        kept = [np.mean(curves[top, k - 1] >= np.percentile(curves[:, k - 1], 100 * 2 / 3))
                for k in EPOCHS]
        print(f"| lcbench-{i} | {task.target:.4f} | " + ", ".join(f"{r:.2f}" for r in rho)
              + " | " + ", ".join(f"{k:.2f}" for k in kept) + " |")


if __name__ == "__main__":
    main()
