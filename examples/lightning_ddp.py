"""Lightning DDP with the trial in rank 0: two CPU processes (gloo), per-epoch pruning.

Lightning's ``ddp`` strategy runs rank 0 in this process and starts the other ranks by running
this script again with ``LOCAL_RANK`` set, and the same environment. It starts them once per
process, so each run of this script is one trial of a study kept in SQLite (run it again for the
next trial, as a cluster would run one job per trial). In a run:

- rank 0 runs the study; its objective samples the hyperparameters and puts them in
  ``os.environ`` before ``trainer.fit``, and passes the trial to ``PruningCallback``;
- a worker rank (``LOCAL_RANK != 0``) reads the hyperparameters from the environment, builds the
  same model and trains with ``PruningCallback(None)``: it never touches the study or its
  storage, and stops when rank 0's pruning decision is broadcast;
- after ``fit``, rank 0 calls ``callback.check_pruned()`` to mark the trial pruned.

    pip install -e ".[lightning]"
    for i in 1 2 3 4; do python examples/lightning_ddp.py; done   # 4 trials, 2 processes each
"""

from __future__ import annotations

import argparse
import json
import logging
import os

import hyperscout as hs
from hyperscout.integrations.lightning import PruningCallback

PARAMS_ENV = "HYPERSCOUT_DDP_PARAMS"


def make_module(lr: float, hidden: int):
    import lightning.pytorch as pl
    import torch

    class Net(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(torch.nn.Linear(8, hidden), torch.nn.ReLU(),
                                           torch.nn.Linear(hidden, 2))

        def training_step(self, batch, batch_idx):
            return torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])

        def validation_step(self, batch, batch_idx):
            loss = torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
            self.log("val_loss", loss, sync_dist=True)  # the mean over ranks: same everywhere

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=lr)

    return Net()


def train(params: dict, trial: hs.Trial | None, epochs: int):
    import lightning.pytorch as pl
    import torch

    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(512, 8, generator=g)
    y = (X[:, 0] + X[:, 1] > 0).long()
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)
    callback = PruningCallback(trial, monitor="val_loss")
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=2, strategy="ddp",
                         callbacks=[callback], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         num_sanity_val_steps=0)
    trainer.fit(make_module(**params), data, data)
    return callback, trainer


def main(argv: list[str] | None = None) -> hs.Study | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--storage", default="sqlite:///hyperscout-ddp.db")
    parser.add_argument("--study", default="lightning-ddp")
    args = parser.parse_args(argv)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    if os.environ.get("LOCAL_RANK", "0") != "0":  # a worker rank started by Lightning
        train(json.loads(os.environ[PARAMS_ENV]), None, args.epochs)
        return None

    def objective(trial: hs.Trial) -> float:
        params = {"lr": trial.suggest_float("lr", 1e-3, 1.0, log=True),
                  "hidden": trial.suggest_int("hidden", 4, 64, log=True)}
        os.environ[PARAMS_ENV] = json.dumps(params)  # the worker ranks inherit the environment
        callback, trainer = train(params, trial, args.epochs)
        callback.check_pruned()  # raises TrialPruned if rank 0 pruned (every rank stopped)
        return float(trainer.callback_metrics["val_loss"])

    study = hs.create_study(name=args.study, storage=args.storage, load_if_exists=True,
                            pruner=hs.pruners.MedianPruner(n_startup_trials=2))
    study.optimize(objective, n_trials=1)  # one DDP launch per process (see above)
    last = study.trials[-1]
    pruned = len(study.get_trials(["pruned"]))
    print(f"trial {last.number}: {last.state.name} after {len(last.intermediate_values)} "
          f"epochs {dict(last.params)}; study so far: {len(study.trials)} trials, {pruned} "
          f"pruned, best val_loss {study.best_value:.4f}")
    return study


if __name__ == "__main__":
    main()
