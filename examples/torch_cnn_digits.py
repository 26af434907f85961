"""A small CNN on scikit-learn's digits (8x8 images, offline, CPU) with TorchTrial.

Each trial trains a two-layer CNN, reports validation accuracy every epoch, checkpoints its
state through the study's artifact store, and is stopped by the median pruner when it falls
behind. Finishes in well under a minute on 2 CPU cores with the defaults.

    pip install -e ".[torch,sklearn]" && python examples/torch_cnn_digits.py
"""

from __future__ import annotations

import argparse
import tempfile

import hyperscout as hs
from hyperscout.integrations.torch import TorchTrial


def load_digits_tensors():
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.3, random_state=0,
                                          stratify=y)
    img = lambda a: torch.tensor(a, dtype=torch.float32).reshape(-1, 1, 8, 8)  # noqa: E731
    lab = lambda a: torch.tensor(a, dtype=torch.int64)  # noqa: E731
    return img(Xtr), lab(ytr), img(Xva), lab(yva)


def make_objective(data, epochs: int):
    import torch
    from torch import nn

    Xtr, ytr, Xva, yva = data

    def objective(trial: hs.Trial) -> float:
        c1 = trial.suggest_int("channels_1", 4, 32, log=True)
        c2 = trial.suggest_int("channels_2", 8, 64, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        lr = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
        batch_size = trial.suggest_categorical("batch_size", [32, 64, 128])
        torch.manual_seed(trial.number)
        model = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * 16, 10),
        )
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        tt = TorchTrial(trial, model, opt)  # device: the trial's GPU if any, else the CPU
        acc = 0.0
        for _ in tt.epochs(epochs):
            model.train()
            perm = torch.randperm(len(Xtr))
            for i in range(0, len(Xtr), batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(Xtr[idx].to(tt.device)),
                                                   ytr[idx].to(tt.device))
                loss.backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                pred = model(Xva.to(tt.device)).argmax(1).cpu()
            acc = float((pred == yva).float().mean())
            tt.report(acc)  # checkpoint, report, and raise TrialPruned if the pruner says so
        return acc

    return objective


def main(argv: list[str] | None = None) -> hs.Study:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as ckpt_dir:
        study = hs.create_study(
            direction="maximize", seed=args.seed,
            pruner=hs.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2),
            artifact_store=hs.artifacts.FileArtifactStore(ckpt_dir),
        )
        study.optimize(make_objective(load_digits_tensors(), args.epochs),
                       n_trials=args.n_trials)
    pruned = len(study.get_trials(["pruned"]))
    print(f"best validation accuracy {study.best_value:.4f} with {study.best_params}; "
          f"{pruned} of {len(study.trials)} trials pruned")
    return study


if __name__ == "__main__":
    main()
