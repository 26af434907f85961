"""PBT vs a fixed-hyperparameter population of the same size, at equal total epochs.

Both arms start from the same learning rates (the first generation PBTSampler draws with the
seed); the fixed population trains each member ``generations * interval`` epochs at its
learning rate, PBT trains the same members segment by segment, exploiting and exploring.

- ``toy``: a schedule-sensitive progress model: each epoch closes a share of the remaining gap
  that is largest when log10(lr) is near the optimum, which decays from 10**-0.5 by 0.85 per
  epoch (no constant learning rate is right for long).
- ``mlp``: a PyTorch MLP (plain SGD) on scikit-learn's digits; score: validation accuracy,
  with validation cross-entropy reported too.

    nice -n 10 python benchmarks/multifidelity/pbt.py --task toy --seeds 20
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
import hyperscout as hs  # noqa: E402
from hyperscout.samplers.pbt import PBTSampler  # noqa: E402

LR = hs.Float(1e-3, 1.0, log=True)


class Toy:
    name = "toy"

    def init(self, seed: int) -> dict:
        return {"gap": 1.0, "epoch": 0}

    def train(self, state: dict, lr: float, epochs: int, rng: np.random.Generator) -> dict:
        gap, e = state["gap"], state["epoch"]
        for _ in range(epochs):
            best = -0.5 + e * math.log10(0.85)
            rate = 0.35 * math.exp(-((math.log10(lr) - best) ** 2) / (2 * 0.35**2))
            gap *= 1.0 - rate * (1.0 + 0.05 * rng.normal())
            e += 1
        return {"gap": gap, "epoch": e}

    def score(self, state: dict) -> tuple[float, float]:
        return 1.0 - state["gap"], state["gap"]  # (accuracy-like, loss-like)

    def dumps(self, state: dict) -> bytes:
        return json.dumps(state).encode()

    def loads(self, blob: bytes) -> dict:
        return json.loads(blob)


class MLP:
    name = "mlp"

    def __init__(self) -> None:
        import torch
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        torch.set_num_threads(1)
        X, y = load_digits(return_X_y=True)
        Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.33, random_state=0,
                                              stratify=y)
        f, i = torch.float32, torch.int64
        self.data = (torch.tensor(Xtr, dtype=f), torch.tensor(ytr, dtype=i),
                     torch.tensor(Xva, dtype=f), torch.tensor(yva, dtype=i))

    def init(self, seed: int):
        import torch

        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                  torch.nn.Linear(64, 10))
        return {"net": net, "epoch": 0}

    def train(self, state: dict, lr: float, epochs: int, rng: np.random.Generator) -> dict:
        import torch

        Xtr, ytr, _, _ = self.data
        net = state["net"]
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        g = torch.Generator().manual_seed(int(rng.integers(2**31)))
        for _ in range(epochs):
            perm = torch.randperm(len(Xtr), generator=g)
            for i in range(0, len(Xtr), 32):
                idx = perm[i:i + 32]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(Xtr[idx]), ytr[idx]).backward()
                opt.step()
        return {"net": net, "epoch": state["epoch"] + epochs}

    def score(self, state: dict) -> tuple[float, float]:
        import torch

        _, _, Xva, yva = self.data
        with torch.no_grad():
            out = state["net"](Xva)
            acc = float((out.argmax(1) == yva).float().mean())
            loss = float(torch.nn.functional.cross_entropy(out, yva))
        return acc, (loss if math.isfinite(loss) else 1e9)

    def dumps(self, state: dict) -> bytes:
        import torch

        buf = io.BytesIO()
        torch.save({"model": state["net"].state_dict(), "epoch": state["epoch"]}, buf)
        return buf.getvalue()

    def loads(self, blob: bytes) -> dict:
        import torch

        d = torch.load(io.BytesIO(blob), weights_only=True)
        state = self.init(0)
        state["net"].load_state_dict(d["model"])
        state["epoch"] = d["epoch"]
        return state


def run_pbt(task, seed: int, members: int, generations: int, interval: int) -> dict:
    sampler = PBTSampler({"lr": LR}, population_size=members, seed=seed)
    study = hs.create_study(direction="maximize", sampler=sampler,
                            artifact_store=hs.artifacts.InMemoryArtifactStore())
    rng = np.random.default_rng(seed + 1)

    def objective(trial):
        lr = trial.suggest_float("lr", LR.low, LR.high, log=True)
        blob = trial.load_checkpoint()
        state = task.loads(blob) if blob else task.init(seed * 1000 + trial.number)
        state = task.train(state, lr, interval, rng)
        trial.save_checkpoint(task.dumps(state))
        acc, loss = task.score(state)
        trial.set_user_attr("loss", loss)
        return acc

    study.optimize(objective, n_trials=members * generations)
    last = study.trials[-members:]
    best = max(last, key=lambda t: t.value)
    return {"acc": best.value, "loss": min(t.user_attrs["loss"] for t in last)}


def run_fixed(task, seed: int, members: int, generations: int, interval: int) -> dict:
    lr_rng = np.random.default_rng(seed)  # the same draws as PBTSampler's first generation
    lrs = [LR.sample(lr_rng) for _ in range(members)]
    rng = np.random.default_rng(seed + 1)
    scores = []
    for m, lr in enumerate(lrs):
        state = task.init(seed * 1000 + m)
        for _ in range(generations):  # same segments, never exploited
            state = task.train(state, lr, interval, rng)
        scores.append(task.score(state))
    return {"acc": max(a for a, _ in scores), "loss": min(lo for _, lo in scores)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["toy", "mlp"], required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--members", type=int, default=8)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--interval", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    hs.set_verbosity("WARNING")
    task = Toy() if args.task == "toy" else MLP()
    with open(args.out, "a") as f:
        for seed in range(args.seeds):
            for arm, fn in (("pbt", run_pbt), ("fixed", run_fixed)):
                t0 = time.perf_counter()
                r = fn(task, seed, args.members, args.generations, args.interval)
                r.update(task=task.name, arm=arm, seed=seed, members=args.members,
                         epochs=args.members * args.generations * args.interval,
                         seconds=time.perf_counter() - t0)
                f.write(json.dumps(r) + "\n")
                print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
