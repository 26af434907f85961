"""Neural-architecture search for an MLP on scikit-learn's digits (offline, CPU).

The architecture is part of the search through conditional parameters: the number of layers,
then the units and dropout of each layer that exists, the activation (and LeakyReLU's slope only
when it is chosen), and the optimizer (with SGD's momentum only for SGD). TorchTrial reports
validation accuracy per epoch and the median pruner stops weak architectures early. Finishes in
well under a minute on 2 CPU cores with the defaults.

    pip install -e ".[torch,sklearn]" && python examples/torch_mlp_nas_digits.py
"""

from __future__ import annotations

import argparse

import hyperscout as hs
from hyperscout.integrations.torch import TorchTrial


def load_digits_tensors():
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X / 16.0, y, test_size=0.3, random_state=0,
                                          stratify=y)
    f, i = torch.float32, torch.int64
    return (torch.tensor(Xtr, dtype=f), torch.tensor(ytr, dtype=i),
            torch.tensor(Xva, dtype=f), torch.tensor(yva, dtype=i))


def build_mlp(trial: hs.Trial):
    """The searched architecture: every parameter below exists only when it matters."""
    from torch import nn

    n_layers = trial.suggest_int("n_layers", 1, 3)
    activation = trial.suggest_categorical("activation", ["relu", "tanh", "gelu", "leaky_relu"])
    if activation == "leaky_relu":
        slope = trial.suggest_float("negative_slope", 0.01, 0.3, log=True)
        act = lambda: nn.LeakyReLU(slope)  # noqa: E731
    else:
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}[activation]
    layers: list = []
    width = 64
    for i in range(n_layers):
        units = trial.suggest_int(f"units_{i}", 16, 256, log=True)
        layers += [nn.Linear(width, units), act()]
        dropout = trial.suggest_float(f"dropout_{i}", 0.0, 0.5)
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def make_optimizer(trial: hs.Trial, params):
    import torch

    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    if trial.suggest_categorical("optimizer", ["adam", "sgd"]) == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=trial.suggest_float("momentum", 0.0, 0.99))
    return torch.optim.Adam(params, lr=lr)


def make_objective(data, epochs: int):
    import torch

    Xtr, ytr, Xva, yva = data

    def objective(trial: hs.Trial) -> float:
        torch.manual_seed(trial.number)
        model = build_mlp(trial)
        opt = make_optimizer(trial, model.parameters())
        tt = TorchTrial(trial, model, opt, checkpoint_every=0)  # no checkpoints needed here
        acc = 0.0
        for _ in tt.epochs(epochs):
            model.train()
            perm = torch.randperm(len(Xtr))
            for i in range(0, len(Xtr), 64):
                idx = perm[i:i + 64]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(Xtr[idx]), ytr[idx]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                acc = float((model(Xva).argmax(1) == yva).float().mean())
            tt.report(acc)
        return acc

    return objective


def main(argv: list[str] | None = None) -> hs.Study:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    study = hs.create_study(direction="maximize", seed=args.seed,
                            pruner=hs.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3))
    study.optimize(make_objective(load_digits_tensors(), args.epochs), n_trials=args.n_trials)
    best = study.best_trial
    arch = [best.params[f"units_{i}"] for i in range(best.params["n_layers"])]
    pruned = len(study.get_trials(["pruned"]))
    print(f"best validation accuracy {best.value:.4f}: layers {arch}, "
          f"activation {best.params['activation']}, optimizer {best.params['optimizer']}; "
          f"{pruned} of {len(study.trials)} trials pruned")
    return study


if __name__ == "__main__":
    main()
