"""Keras 3 (torch backend) with real training: the callback reports what Keras logs, pruning
ends model.fit early, and KerasTuner searches model and fit hyperparameters."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import hyperscout as hs  # noqa: E402
from hyperscout.exceptions import OptionalDependencyError  # noqa: E402
from hyperscout.integrations import keras as hk  # noqa: E402
from hyperscout.trial import TrialState  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 6)).astype("float32")
Y = (X[:, 0] + X[:, 1] > 0).astype("int32")


def _model(units: int = 8, lr: float = 0.01):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(units, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_backend_is_torch() -> None:
    assert keras.backend.backend() == "torch"


def test_callback_reports_the_keras_logs_every_epoch() -> None:
    trial = hs.create_study().ask()
    history = _model().fit(X, Y, epochs=4, validation_split=0.25, verbose=0,
                           callbacks=[hk.PruningCallback(trial, "val_loss")])
    assert [trial.intermediate_values[e] for e in range(4)] == history.history["val_loss"]


def test_pruning_ends_fit_early(prune_from_step) -> None:
    study = hs.create_study(pruner=prune_from_step(1), seed=0)
    epochs_run: list[int] = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            epochs_run.append(epoch)

    def objective(trial):
        model = _model(units=trial.suggest_int("units", 4, 8))
        model.fit(X, Y, epochs=20, validation_split=0.25, verbose=0,
                  callbacks=[Count(), hk.PruningCallback(trial)])
        return 0.0

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state is TrialState.PRUNED
    assert epochs_run == [0, 1]  # 2 of 20 epochs
    assert sorted(study.trials[0].intermediate_values) == [0, 1]


def test_keras_tuner_searches_model_and_fit_parameters() -> None:
    def build_model(hp):
        return _model(units=hp.suggest_int("units", 4, 16, log=True),
                      lr=hp.suggest_float("lr", 1e-3, 1e-1, log=True))

    tuner = hk.KerasTuner(build_model, objective="val_accuracy", seed=0,
                          fit_params=lambda hp: {
                              "batch_size": hp.suggest_categorical("batch_size", [16, 32])})
    tuner.search(X, Y, epochs=3, validation_split=0.25, n_trials=3, verbose=0)
    assert tuner.study.direction == "maximize"
    assert set(tuner.best_params) == {"units", "lr", "batch_size"}
    # a trial's value is its best epoch, and the reports are the epoch logs
    for t in tuner.study.trials:
        assert t.value == max(t.intermediate_values.values())
    best = tuner.get_best_models()[0]
    assert best.layers[0].units == tuner.best_params["units"]
    assert tuner.get_best_hyperparameters() == tuner.best_params
    with pytest.raises(ValueError, match="num_models=2"):
        tuner.get_best_models(2)


def test_errors_name_the_argument(monkeypatch) -> None:
    trial = hs.create_study().ask()
    with pytest.raises(ValueError, match=r"monitor='val_auc'.*'val_loss'"):
        _model().fit(X, Y, epochs=1, validation_split=0.25, verbose=0,
                     callbacks=[hk.PruningCallback(trial, "val_auc")])
    with pytest.raises(ValueError, match="report_every=0"):
        hk.PruningCallback(trial, report_every=0)
    with pytest.raises(ValueError, match="cannot tell whether 'val_foo'"):
        hk.KerasTuner(_model, objective="val_foo")
    with pytest.raises(ValueError, match="the study is to minimize"):
        hk.KerasTuner(_model, objective="val_accuracy", study=hs.create_study())
    with pytest.raises(TypeError, match="build_model"):
        hk.KerasTuner("model")
    tuner = hk.KerasTuner(lambda hp: "not a model", objective="val_loss")
    with pytest.raises(TypeError, match="not a compiled keras Model"):
        tuner.search(X, Y, epochs=1, n_trials=1)
    with pytest.raises(RuntimeError, match="no model kept"):
        tuner.get_best_models()
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[keras\]"):
        hk._build_callback()
