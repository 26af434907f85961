"""How close the default sampler's parallel suggestions land to each other.

Two measurements behind the issue-3 notes on parallel asks (benchmarks/RESULTS.md: the Kriging
believer, and the q-EI over draws of the running trials' values that replaced it):

- ``quadratic``: a noisy 2-d quadratic, 30 sequential trials with ``GPSampler``, then 4 asks
  with nothing told; prints the smallest distance between the 4 points per seed.
- ``batch``: ``hs-auto`` in rounds of 8 asks (as ``run.py --budget batch16x8``) on quality tasks;
  prints per seed how many of rounds 3-16 had two points within ``--near`` of each other
  (unit-cube distance per coordinate, log scales as the sampler sees them, one-hot choices).

    python benchmarks/quality/parallel_spread.py quadratic --seeds 0 1 2 3 4 5
    python benchmarks/quality/parallel_spread.py batch --tasks svm-digits rf-breast --seeds 0 1
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from optimizers import make_optimizer  # noqa: E402
from tasks import get_task  # noqa: E402

import hyperscout as hs  # noqa: E402
from hyperscout.space.distributions import Categorical, Distribution  # noqa: E402


def quadratic_min_distance(seed: int) -> float:
    """Smallest distance between 4 parallel asks after 30 noisy trials."""
    rng = np.random.default_rng(seed)
    study = hs.create_study(sampler=hs.samplers.GPSampler(seed=seed))
    space = {"x": hs.Float(0.0, 1.0), "y": hs.Float(0.0, 1.0)}
    for _ in range(30):
        t = study.ask(space)
        study.tell(t, (t.params["x"] - 0.6) ** 2 + (t.params["y"] - 0.3) ** 2
                   + 0.02 * rng.normal())
    pts = np.array([[t.params["x"], t.params["y"]] for t in [study.ask(space) for _ in range(4)]])
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=-1)[np.triu_indices(4, 1)]
    return float(dist.min())


def _unit(space: dict[str, Distribution], params: dict) -> np.ndarray:
    out: list[float] = []
    for k, d in space.items():
        v = params[k]
        if isinstance(d, Categorical):
            out += [1.0 if v == c else 0.0 for c in d.choices]
            continue
        lo, hi, x = float(d.low), float(d.high), float(v)  # type: ignore[attr-defined]
        if getattr(d, "log", False):
            lo, hi, x = math.log(lo), math.log(hi), math.log(x)
        out.append((x - lo) / (hi - lo) if hi > lo else 0.0)
    return np.array(out)


def close_rounds(task_name: str, seed: int, near: float) -> tuple[int, int]:
    """``(rounds with two points within near, rounds counted)`` over rounds 3-16."""
    task = get_task(task_name)
    opt = make_optimizer("hs-auto", task.space, seed, 128)
    close = counted = 0
    for r in range(16):
        X = opt.suggest(8)
        if r >= 2:
            dists = opt._dists  # the hyperscout distributions of the task's space
            E = np.array([_unit(dists, x) for x in X])
            D = np.sqrt(((E[:, None] - E[None]) ** 2).sum(-1)) / math.sqrt(E.shape[1])
            D[np.diag_indices(len(X))] = np.inf
            close += int(D.min() < near)
            counted += 1
        opt.observe(X, [task.evaluate(x) for x in X])
    return close, counted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["quadratic", "batch"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--tasks", nargs="+", default=["svm-digits", "rf-breast"])
    ap.add_argument("--near", type=float, default=0.01)
    args = ap.parse_args()
    hs.set_verbosity("warning")
    for seed in args.seeds:
        if args.what == "quadratic":
            print(f"seed {seed}: smallest distance between 4 parallel asks "
                  f"{quadratic_min_distance(seed):.4f}")
            continue
        for name in args.tasks:
            close, counted = close_rounds(name, seed, args.near)
            print(f"{name} seed {seed}: {close} of {counted} rounds with two points "
                  f"within {args.near}")


if __name__ == "__main__":
    main()
