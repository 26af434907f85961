"""Per-epoch overhead of the PyTorch (TorchTrial) and Keras (PruningCallback) integrations.

Trains the small CNN of ``examples/torch_cnn_digits.py`` (PyTorch) and the MLP of
``examples/keras_tuner_digits.py`` (Keras 3 on the torch backend, batch 32) on scikit-learn's
digits, with a real study behind the callbacks: in-memory storage (as in the examples) or SQLite,
holding 30 finished 20-epoch trials, the median pruner, and (PyTorch) either no checkpoints or a
checkpoint written to a file artifact store every epoch. Two measures per configuration:

- direct: the time spent inside the integration's per-epoch call (report + pruner + checkpoint)
  as a fraction of the epoch time, over every epoch of every run;
- A/B: the same training loop with and without the integration, runs interleaved in ABBA
  order, median epoch time of each (noisy on a shared machine; the direct measure is the
  precise one).

    nice -n 10 python benchmarks/integrations/callback_overhead.py --runs 5 --epochs 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

import hyperscout as hs  # noqa: E402


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split((X / 16.0).astype("float32"), y, test_size=0.3, random_state=0,
                            stratify=y)


def seeded_study(tmp: str, direction: str, storage: str):
    """A study with a history the median pruner really works on: 30 finished trials."""
    url = f"sqlite:///{tmp}/bench.db" if storage == "sqlite" else None
    study = hs.create_study(storage=url, direction=direction,
                            pruner=hs.pruners.MedianPruner(n_startup_trials=5),
                            artifact_store=hs.artifacts.FileArtifactStore(f"{tmp}/artifacts"))
    rng = np.random.default_rng(0)
    for _ in range(30):
        t = study.ask()
        t.suggest_float("lr", 1e-4, 1e-1, log=True)
        curve = np.sort(rng.uniform(0.1, 0.99, 20))
        if direction == "minimize":  # losses above anything the benchmark's model reaches
            curve = 10.0 - 5.0 * curve
        for step, v in enumerate(curve):
            t.report(float(v), step)
        study.tell(t, float(curve[-1]))
    return study


def bench_torch(runs: int, epochs: int, tmp: str, storage: str, checkpoint_every: int) -> dict:
    import torch
    from torch import nn

    from hyperscout.integrations.torch import TorchTrial

    torch.set_num_threads(1)
    Xtr, Xva, ytr, yva = digits()
    img = lambda a: torch.tensor(a).reshape(-1, 1, 8, 8)  # noqa: E731
    Xtr, Xva, ytr, yva = img(Xtr), img(Xva), torch.tensor(ytr), torch.tensor(yva)
    study = seeded_study(tmp, "maximize", storage)

    def run(with_hs: bool) -> tuple[list[float], list[float]]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 16, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        tt = None
        if with_hs:
            trial = study.ask()
            trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            tt = TorchTrial(trial, model, opt, device="cpu", checkpoint_every=checkpoint_every)
        epoch_times, hook_times = [], []
        for _epoch in (tt.epochs(epochs) if tt else range(epochs)):
            t0 = time.perf_counter()
            model.train()
            perm = torch.randperm(len(Xtr))
            for i in range(0, len(Xtr), 64):
                idx = perm[i:i + 64]
                opt.zero_grad()
                nn.functional.cross_entropy(model(Xtr[idx]), ytr[idx]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                acc = float((model(Xva).argmax(1) == yva).float().mean())
            h0 = time.perf_counter()
            if tt is not None:
                try:
                    tt.report(0.99 + acc / 1e3)  # a good curve: the pruner lets it run
                except hs.TrialPruned:  # pragma: no cover - the curve above is never pruned
                    break
            h1 = time.perf_counter()
            epoch_times.append(h1 - t0)
            hook_times.append(h1 - h0)
        if tt is not None:
            study.tell(tt.trial, acc)
        return epoch_times, hook_times

    return _ab(run, runs)


def bench_keras(runs: int, epochs: int, tmp: str, storage: str) -> dict:
    import keras
    import torch

    from hyperscout.integrations.keras import PruningCallback

    torch.set_num_threads(1)
    Xtr, Xva, ytr, yva = digits()
    study = seeded_study(tmp, "minimize", storage)

    class Timed(PruningCallback):
        def on_epoch_end(self, epoch, logs=None):
            t0 = time.perf_counter()
            super().on_epoch_end(epoch, logs)
            self.hook_times.append(time.perf_counter() - t0)

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t0)

    def run(with_hs: bool) -> tuple[list[float], list[float]]:
        keras.utils.clear_session()  # Keras keeps global state between models otherwise
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        clock = EpochClock()
        clock.times = []
        cbs = []
        trial = None
        if with_hs:
            trial = study.ask()
            trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            cb = Timed(trial, "val_loss")  # the seeded losses are worse: never pruned
            cb.hook_times = []
            cbs.append(cb)
        cbs.append(clock)  # last: its epoch end includes the hyperscout callback's time
        model.fit(Xtr, ytr, epochs=epochs, batch_size=32, validation_data=(Xva, yva),
                  verbose=0, callbacks=cbs)
        if trial is not None:
            study.tell(trial, 0.0)
            return clock.times, cbs[0].hook_times
        return clock.times, [0.0] * len(clock.times)

    return _ab(run, runs)


def _ab(run, runs: int) -> dict:
    run(False)  # warm-up (imports, allocator)
    base, with_hs, fractions, hooks = [], [], [], []
    for i in range(runs):  # ABBA order: drift in machine load hits both sides alike
        if i % 2 == 0:
            b, _ = run(False)
            w, h = run(True)
        else:
            w, h = run(True)
            b, _ = run(False)
        base += b
        with_hs += w
        hooks += h
        fractions.append(sum(h) / sum(w))
    return {
        "epochs_timed": len(with_hs),
        "median_epoch_s_without": statistics.median(base),
        "median_epoch_s_with": statistics.median(with_hs),
        "ab_ratio": statistics.median(with_hs) / statistics.median(base),
        "median_hook_ms": 1e3 * statistics.median(hooks),
        "max_hook_ms": 1e3 * max(hooks),
        "hook_fraction_pct": 100 * sum(hooks) / sum(with_hs),
        "hook_fraction_pct_per_run": [round(100 * f, 3) for f in fractions],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    hs.set_verbosity("WARNING")
    out = {"date": time.strftime("%Y-%m-%d"), "python": sys.version.split()[0],
           "args": vars(args)}
    import keras
    import torch

    out["torch"], out["keras"] = torch.__version__, keras.__version__
    for storage in ("memory", "sqlite"):
        for every in (0, 1):
            with tempfile.TemporaryDirectory() as tmp:
                key = f"torch_{storage}_checkpoint_every_{every}"
                out[key] = bench_torch(args.runs, args.epochs, tmp, storage, every)
                print(key, json.dumps(out[key]), flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out[f"keras_{storage}"] = bench_keras(args.runs, args.epochs, tmp, storage)
            print(f"keras_{storage}", json.dumps(out[f"keras_{storage}"]), flush=True)
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
