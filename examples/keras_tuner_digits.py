"""KerasTuner-style search with Keras 3 on the PyTorch backend (no TensorFlow), on digits.

``build_model(hp)`` gets the trial as ``hp``; the model (layers, units, dropout, learning rate)
and a fit parameter (batch size) are searched; the pruning callback stops weak trials by their
per-epoch validation accuracy.

    pip install -e ".[keras,sklearn]" && python examples/keras_tuner_digits.py
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import hyperscout as hs  # noqa: E402
from hyperscout.integrations.keras import KerasTuner  # noqa: E402


def build_model(hp):
    import keras

    layers = [keras.Input((64,))]
    act = hp.suggest_categorical("act", ["relu", "tanh"])
    for i in range(hp.suggest_int("n_layers", 1, 2)):
        layers.append(keras.layers.Dense(hp.suggest_int(f"units_{i}", 16, 128, log=True),
                                         activation=act))
        layers.append(keras.layers.Dropout(hp.suggest_float(f"dropout_{i}", 0.0, 0.4)))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    lr = hp.suggest_float("lr", 1e-4, 3e-2, log=True)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> KerasTuner:
    import keras
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    torch.set_num_threads(1)  # small model: one thread is much faster than several competing
    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split((X / 16.0).astype("float32"), y, test_size=0.3,
                                              random_state=0, stratify=y)
    tuner = KerasTuner(
        build_model, objective="val_accuracy", seed=args.seed,
        pruner=hs.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3),
        fit_params=lambda hp: {"batch_size": hp.suggest_categorical("batch_size", [32, 64])},
    )
    tuner.search(X_tr, y_tr, epochs=args.epochs, validation_data=(X_va, y_va), verbose=0,
                 n_trials=args.n_trials)
    best = tuner.get_best_models()[0]
    _, acc = best.evaluate(X_va, y_va, verbose=0)
    pruned = len(tuner.study.get_trials(["pruned"]))
    print(f"best val_accuracy {tuner.best_value:.4f} with {tuner.best_params}; the kept model "
          f"scores {acc:.4f}; {pruned} of {len(tuner.study.trials)} trials pruned")
    return tuner


if __name__ == "__main__":
    main()
