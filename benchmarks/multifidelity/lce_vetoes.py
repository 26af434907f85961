"""How often a ``LearningCurvePruner(wrapped=...)`` vetoes its wrapped pruner's prunes.

Runs ``method`` as run.py does on the seven LCBench tasks (budget 4000, 10 seeds from
``seed_start``) and counts, per task, the reports where the wrapped pruner said prune and how
many of those the learning-curve pruner let go on.

    python benchmarks/multifidelity/lce_vetoes.py hs-tpe+asha+lce-r9 0
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import run  # noqa: E402
from tasks import LCBENCH_INSTANCES, TASKS  # noqa: E402

from hyperscout.pruners import Decision, LearningCurvePruner  # noqa: E402


def main() -> None:
    method, seed_start = sys.argv[1], int(sys.argv[2])
    stats = {"wrapped_prunes": 0, "vetoes": 0}
    decide = LearningCurvePruner.decide

    def counting(self, history, trial):
        d = decide(self, history, trial)
        if self.wrapped is not None and self.wrapped.decide(history, trial) is Decision.PRUNE:
            stats["wrapped_prunes"] += 1
            stats["vetoes"] += d is Decision.CONTINUE
        return d

    LearningCurvePruner.decide = counting  # type: ignore[method-assign]
    for i in LCBENCH_INSTANCES:
        task = TASKS[f"lcbench-{i}"]()
        before = dict(stats)
        for seed in range(seed_start, seed_start + 10):
            run.run_one(task, method, seed, 4000)
        print(f"lcbench-{i}", {k: stats[k] - before[k] for k in stats}, flush=True)
    print("total", stats)


if __name__ == "__main__":
    main()
