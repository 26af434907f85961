"""Multi-fidelity benchmark tasks: epochs are the resource, validation accuracy the metric.

- ``synthetic``: a closed-form learning curve over 5 hyperparameters (cheap; many seeds).
- ``mlp``: a PyTorch MLP trained on scikit-learn's digits (CPU, one thread).
- ``cnn``: a small PyTorch CNN on the 8x8 digits images.
- ``lcbench-<OpenML id>``: the YAHPO Gym LCBench surrogate of real learning curves (52 epochs).

Every task exposes ``suggest(trial) -> config`` (the same ``suggest_*`` calls work for a
hyperscout and an Optuna trial) and ``curve(config, seed)``, a generator of the validation
accuracy after each epoch, 1..``max_epochs``, so a pruned trial simply stops iterating.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Task:
    name: str
    max_epochs: int
    target: float  # validation accuracy to reach

    def suggest(self, trial: Any) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def curve(self, config: dict[str, Any], seed: int) -> Iterator[float]:  # pragma: no cover
        raise NotImplementedError


class Synthetic(Task):
    """acc(e) = a_inf(x) - (a_inf(x) - 0.1) * exp(-e / tau(x)) + noise, 5 parameters.

    The final accuracy peaks at lr = 10**-1.5, width 128, wd = 1e-4, dropout 0.2; a high learning
    rate learns fast but plateaus lower, so early rankings are informative but not exact (the
    situation pruners must handle).
    """

    def __init__(self) -> None:
        super().__init__("synthetic", 27, 0.95)

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {
            "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
            "width": trial.suggest_int("width", 16, 512, log=True),
            "wd": trial.suggest_float("wd", 1e-6, 1e-1, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.6),
            "opt": trial.suggest_categorical("opt", ["sgd", "adam", "rmsprop"]),
        }

    def curve(self, config: dict[str, Any], seed: int) -> Iterator[float]:
        rng = np.random.default_rng(seed)
        llr = math.log10(config["lr"])
        pen = (0.06 * (llr + 1.5) ** 2 + 0.03 * (math.log2(config["width"]) - 7) ** 2 / 4
               + 0.02 * (math.log10(config["wd"]) + 4) ** 2 / 4
               + 0.3 * (config["dropout"] - 0.2) ** 2
               + {"sgd": 0.02, "adam": 0.0, "rmsprop": 0.01}[config["opt"]])
        a_inf = 0.985 - pen
        slow = 10 ** (-(llr + 1.5))
        tau = 1.0 + 5.0 * slow / (1.0 + slow)
        for e in range(1, self.max_epochs + 1):
            mean = a_inf - (a_inf - 0.1) * math.exp(-e / tau)
            yield float(min(1.0, max(0.0, mean + rng.normal(0.0, 0.004))))


def _digits(seed: int = 0):
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.33, random_state=seed, stratify=y)
    t = torch.from_numpy
    return t(Xtr), t(ytr.astype(np.int64)), t(Xva), t(yva.astype(np.int64))


class _TorchTask(Task):
    def __init__(self, name: str, max_epochs: int, target: float) -> None:
        super().__init__(name, max_epochs, target)
        self._data = None

    def data(self):
        if self._data is None:
            import torch

            torch.set_num_threads(1)
            self._data = _digits()
        return self._data

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {
            "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
            "width": trial.suggest_int("width", 8, 128, log=True),
            "wd": trial.suggest_float("wd", 1e-6, 1e-1, log=True),
            "batch": trial.suggest_categorical("batch", [32, 64, 128]),
            "opt": trial.suggest_categorical("opt", ["sgd", "adam"]),
        }

    def model(self, config: dict[str, Any]):  # pragma: no cover - interface
        raise NotImplementedError

    def curve(self, config: dict[str, Any], seed: int) -> Iterator[float]:
        import torch

        Xtr, ytr, Xva, yva = self.data()
        torch.manual_seed(seed)
        net = self.model(config)
        if config["opt"] == "sgd":
            opt = torch.optim.SGD(net.parameters(), lr=config["lr"], momentum=0.9,
                                  weight_decay=config["wd"])
        else:
            opt = torch.optim.Adam(net.parameters(), lr=config["lr"], weight_decay=config["wd"])
        gen = torch.Generator().manual_seed(seed)
        loss_fn = torch.nn.CrossEntropyLoss()
        bs = config["batch"]
        for _ in range(self.max_epochs):
            net.train()
            perm = torch.randperm(len(Xtr), generator=gen)
            for i in range(0, len(Xtr), bs):
                idx = perm[i:i + bs]
                opt.zero_grad()
                loss = loss_fn(net(Xtr[idx]), ytr[idx])
                if not torch.isfinite(loss):
                    break
                loss.backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                acc = (net(Xva).argmax(1) == yva).float().mean().item()
            yield float(acc)


class MLP(_TorchTask):
    def __init__(self) -> None:
        super().__init__("mlp", 27, 0.975)

    def model(self, config):
        import torch.nn as nn

        w = config["width"]
        return nn.Sequential(nn.Linear(64, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(),
                             nn.Linear(w, 10))


class CNN(_TorchTask):
    def __init__(self) -> None:
        super().__init__("cnn", 27, 0.985)

    def model(self, config):
        import torch.nn as nn

        c = max(4, config["width"] // 8)
        return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, c, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(2 * c * 16, 10))


LCBENCH_DIR = os.environ.get("LCBENCH_DIR", "/work/shared/data/yahpo-lcbench")
# input order of the YAHPO LCBench surrogate (yahpo_gym's lcbench config: cont_names, y_names)
_CONT = ["epoch", "batch_size", "learning_rate", "momentum", "weight_decay", "num_layers",
         "max_units", "max_dropout"]
_Y = ["time", "val_accuracy", "val_cross_entropy", "val_balanced_accuracy",
      "test_cross_entropy", "test_balanced_accuracy"]


class LCBench(Task):
    """The YAHPO Gym LCBench surrogate (ONNX, offline): real MLP learning curves on an OpenML
    task, epochs 1-52; the metric is the predicted validation accuracy (as a fraction).

    The loader is ours (yahpo_gym pins old numpy/ConfigSpace): raw hyperparameter values in the
    surrogate's column order, the task id through ``encoding.json``. One ``session.run`` gives
    the whole curve. The target is the 98th percentile of the final (epoch-52) accuracy of 2000
    random configurations (seeded), so it is equally hard on every task.
    """

    _session = None

    def __init__(self, instance: str) -> None:
        super().__init__(f"lcbench-{instance}", 52, 0.0)
        import json

        with open(os.path.join(LCBENCH_DIR, "encoding.json")) as f:
            self._code = json.load(f)["OpenML_task_id"][instance]
        rng = np.random.default_rng(12345)
        finals = [self._predict(self._random(rng))[-1] for _ in range(2000)]
        self.target = float(np.percentile(finals, 98))

    @classmethod
    def session(cls):
        if cls._session is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            cls._session = ort.InferenceSession(os.path.join(LCBENCH_DIR, "model.onnx"),
                                                sess_options=opts)
        return cls._session

    @staticmethod
    def _random(rng) -> dict[str, Any]:
        return {"batch_size": int(round(math.exp(rng.uniform(math.log(16), math.log(512))))),
                "learning_rate": math.exp(rng.uniform(math.log(1e-4), math.log(1e-1))),
                "momentum": rng.uniform(0.1, 0.99), "weight_decay": rng.uniform(1e-5, 0.1),
                "num_layers": int(rng.integers(1, 6)),
                "max_units": int(round(math.exp(rng.uniform(math.log(64), math.log(1024))))),
                "max_dropout": rng.uniform(0.0, 1.0)}

    def _predict(self, config: dict[str, Any]) -> np.ndarray:
        epochs = np.arange(1, 53, dtype=np.float32)
        x_cont = np.zeros((52, len(_CONT)), dtype=np.float32)
        x_cont[:, 0] = epochs
        for j, name in enumerate(_CONT[1:], start=1):
            x_cont[:, j] = config[name]
        x_cat = np.full((52, 1), self._code, dtype=np.int32)
        sess = self.session()
        names = [i.name for i in sess.get_inputs()]
        out = sess.run(None, {names[0]: x_cat, names[1]: x_cont})[0]
        return np.clip(out[:, _Y.index("val_accuracy")] / 100.0, 0.0, 1.0)

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {
            "batch_size": trial.suggest_int("batch_size", 16, 512, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
            "momentum": trial.suggest_float("momentum", 0.1, 0.99),
            "weight_decay": trial.suggest_float("weight_decay", 1e-5, 0.1),
            "num_layers": trial.suggest_int("num_layers", 1, 5),
            "max_units": trial.suggest_int("max_units", 64, 1024, log=True),
            "max_dropout": trial.suggest_float("max_dropout", 0.0, 1.0),
        }

    def curve(self, config: dict[str, Any], seed: int) -> Iterator[float]:
        yield from (float(a) for a in self._predict(config))


LCBENCH_INSTANCES = ["3945", "7593", "34539", "126025", "167149", "168330", "189908"]

TASKS = {"synthetic": Synthetic, "mlp": MLP, "cnn": CNN,
         **{f"lcbench-{i}": (lambda i=i: LCBench(i)) for i in LCBENCH_INSTANCES}}
