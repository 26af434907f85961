"""Trace one warm-related run of ``run.py``: each trial's value, the best so far, and which step
of the transfer sampler proposed it (design, ``gp`` global, ``gp-local`` stencil / model, or the
base sampler), marked ``*`` once the best is at least as good as the cold study's best after 64
trials of the same seed.

    python benchmarks/transfer/trace.py --family quadcos3 --seed 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402
import tasks  # noqa: E402

import hyperscout as hs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", default="quadcos3", choices=sorted(tasks.families()))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    hs.set_verbosity("warning")
    fam = tasks.families()[args.family]
    store = hs.storage.InMemoryStorage()
    related = [run.run_hs(fam.space, f, 1000 + args.seed, storage=store, name=n)[0]
               for n, f in fam.related.items()]
    _, cold = run.run_hs(fam.space, fam.target, args.seed)
    target = min(cold)
    study, _ = run.run_hs(fam.space, fam.target, args.seed, warm_start=related)
    best = np.inf
    for t in study.trials:
        attrs = t.system_attrs.get("sampler:transfer") or {}
        value = float(t.values[0])
        best = min(best, value)
        # trial 0 has no joint space yet: its design point comes through sample_one, unrecorded
        kind = ("design" if "design" in attrs or (t.number == 0 and not attrs) else
                " ".join(str(attrs[k]) for k in ("model", "step") if attrs.get(k)) or "base")
        reached = "*" if best <= target + 1e-12 * max(1.0, abs(target)) else ""
        print(f"{t.number + 1:3d} {value:12.6g} best {best:12.6g} {kind:18s} {reached}")
    print(f"cold@{run.N_TRIALS}: {target:.6g}")


if __name__ == "__main__":
    main()
