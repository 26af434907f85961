"""Lightning with per-epoch pruning: an MLP on scikit-learn's digits (offline, CPU).

The LightningModule logs ``val_acc``; PruningCallback reports it after every validation and the
median pruner stops weak trials (one process here; for multi-GPU strategies see the docstring of
``hyperscout.integrations.lightning``).

    pip install -e ".[lightning,sklearn]" && python examples/lightning_digits.py
"""

from __future__ import annotations

import argparse
import logging

import hyperscout as hs
from hyperscout.integrations.lightning import PruningCallback


def make_module(hidden: int, dropout: float, lr: float):
    import lightning.pytorch as pl
    import torch

    class DigitsMLP(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.save_hyperparameters({"hidden": hidden, "dropout": dropout, "lr": lr})
            self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(),
                                           torch.nn.Dropout(dropout), torch.nn.Linear(hidden, 10))

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=lr)

    return DigitsMLP()


def loaders():
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X / 16.0, y, test_size=0.3, random_state=0,
                                              stratify=y)
    ds = lambda a, b: torch.utils.data.TensorDataset(  # noqa: E731
        torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.int64))
    return (torch.utils.data.DataLoader(ds(X_tr, y_tr), batch_size=64, shuffle=True),
            torch.utils.data.DataLoader(ds(X_va, y_va), batch_size=len(X_va)))


def main(argv: list[str] | None = None) -> hs.Study:
    import lightning.pytorch as pl
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    train, valid = loaders()

    def objective(trial: hs.Trial) -> float:
        pl.seed_everything(trial.number, verbose=False)
        module = make_module(hidden=trial.suggest_int("hidden", 16, 256, log=True),
                             dropout=trial.suggest_float("dropout", 0.0, 0.5),
                             lr=trial.suggest_float("lr", 1e-4, 3e-2, log=True))
        trainer = pl.Trainer(max_epochs=args.epochs, accelerator="cpu", devices=1, logger=False,
                             enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False,
                             callbacks=[PruningCallback(trial, monitor="val_acc")])
        trainer.fit(module, train, valid)
        return float(trainer.callback_metrics["val_acc"])

    study = hs.create_study(direction="maximize", seed=args.seed,
                            pruner=hs.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2))
    study.optimize(objective, n_trials=args.n_trials)
    pruned = len(study.get_trials(["pruned"]))
    print(f"best val_acc {study.best_value:.4f} with {study.best_params}; "
          f"{pruned} of {len(study.trials)} trials pruned")
    return study


if __name__ == "__main__":
    main()
