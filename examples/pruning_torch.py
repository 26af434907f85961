"""Early stopping with a real PyTorch model: Hyperband + the BOHB-style sampler, then PBT.

Trains a small MLP on scikit-learn's digits (offline, CPU) with epochs as the resource:

1. ``MultiFidelityTPESampler`` + ``HyperbandPruner``: trials report validation accuracy after
   each epoch and stop when Hyperband's rungs say so; the sampler learns from the highest
   epoch count that enough trials reached, so pruned trials inform it too.
2. ``PBTSampler``: a population of 4 members trained 3 epochs per segment; the weaker members
   copy a stronger member's weights (``trial.load_checkpoint()``) and perturb its learning
   rate.

    pip install -e ".[torch,sklearn]" && python examples/pruning_torch.py
"""

from __future__ import annotations

import io
import tempfile

import hyperscout as hs
from hyperscout.samplers.pbt import pbt_info

MAX_EPOCHS = 9


def load_data():
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.3, random_state=0)
    f, i = torch.float32, torch.int64
    return (torch.tensor(Xtr, dtype=f), torch.tensor(ytr, dtype=i),
            torch.tensor(Xva, dtype=f), torch.tensor(yva, dtype=i))


DATA = None


def build(trial: hs.Trial):
    import torch

    width = trial.suggest_int("width", 8, 128, log=True)
    lr = trial.suggest_float("lr", 1e-4, 0.5, log=True)
    torch.manual_seed(trial.number)
    net = torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(),
                              torch.nn.Linear(width, 10))
    return net, torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)


def train_epoch(net, opt) -> float:
    import torch

    Xtr, ytr, Xva, yva = DATA
    for i in range(0, len(Xtr), 64):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xtr[i:i + 64]), ytr[i:i + 64]).backward()
        opt.step()
    with torch.no_grad():
        return float((net(Xva).argmax(1) == yva).float().mean())


def objective(trial: hs.Trial) -> float:
    net, opt = build(trial)
    acc = 0.0
    for epoch in range(1, MAX_EPOCHS + 1):
        acc = train_epoch(net, opt)
        trial.report(acc, epoch)
        if trial.should_prune():
            raise hs.TrialPruned()
    return acc


def pbt_objective(trial: hs.Trial) -> float:
    import torch

    net, opt = build(trial)
    blob = trial.load_checkpoint()  # the weights of the member this segment continues
    if blob is not None:
        net.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True))
    acc = 0.0
    for _ in range(3):
        acc = train_epoch(net, opt)
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    trial.save_checkpoint(buf.getvalue())
    return acc


def main() -> None:
    global DATA
    DATA = load_data()
    hs.set_verbosity("WARNING")
    study = hs.create_study(
        direction="maximize",
        sampler=hs.samplers.MultiFidelityTPESampler(seed=0, budgets=[1, 3, 9]),
        pruner=hs.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS, seed=0),
    )
    study.optimize(objective, n_trials=30)
    epochs = sum(t.last_step or 0 for t in study.trials)
    print(f"Hyperband: best accuracy {study.best_value:.4f} with {study.best_params}; "
          f"{len(study.get_trials(['pruned']))} of 30 trials pruned; {epochs} epochs instead of "
          f"{30 * MAX_EPOCHS}")

    with tempfile.TemporaryDirectory() as ckpt_dir:
        pbt = hs.create_study(
            direction="maximize",
            # PBT explores the learning rate; "width" is outside its space, so a member keeps
            # the width of the weights it inherits (architecture cannot change mid-training)
            sampler=hs.samplers.PBTSampler({"lr": hs.Float(1e-4, 0.5, log=True)},
                                           population_size=4, seed=0),
            artifact_store=hs.artifacts.FileArtifactStore(ckpt_dir),
        )
        pbt.optimize(pbt_objective, n_trials=12)  # 4 members x 3 segments of 3 epochs
        best = pbt.best_trial
        lineage = [best.number]
        while (parent := pbt_info(pbt.trials[lineage[-1]])["parent"]) is not None:
            lineage.append(parent)
        print(f"PBT: best accuracy {best.value:.4f} (trial {best.number}); lineage "
              f"{' <- '.join(map(str, lineage))}")


if __name__ == "__main__":
    main()
