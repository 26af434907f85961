"""Keras 3: a pruning/reporting callback, and a KerasTuner-style search entry point.

Keras 3 runs here on the PyTorch backend (no TensorFlow needed): unless ``KERAS_BACKEND`` is set
already, this module sets it to ``"torch"`` before importing Keras. Needs
``pip install 'hyperscout[keras]'``; Keras is imported only when a class is first used.

- ``PruningCallback(trial, monitor="val_loss")``: a ``keras.callbacks.Callback`` that reports
  ``logs[monitor]`` after every epoch (step = epoch) and raises :class:`~hyperscout.TrialPruned`
  when the study's pruner says so, which ends ``model.fit`` and marks the trial pruned.
- :class:`KerasTuner`: for users coming from KerasTuner. ``build_model(hp)`` receives the trial
  itself as ``hp`` (KerasTuner's ``hp.Int("units", 32, 512, step=32)`` is
  ``hp.suggest_int("units", 32, 512, step=32)``, ``hp.Float(..., sampling="log")`` is
  ``hp.suggest_float(..., log=True)``, ``hp.Choice`` is ``hp.suggest_categorical``), and
  ``fit_params(hp)`` can search fit arguments too (batch size, epochs).

Example:
    >>> import os; _ = os.environ.setdefault("KERAS_BACKEND", "torch")
    >>> import pytest; keras = pytest.importorskip("keras")
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 4)).astype("float32"); y = (x[:, 0] > 0).astype("int32")
    >>> def build_model(hp):
    ...     model = keras.Sequential([
    ...         keras.Input((4,)),
    ...         keras.layers.Dense(hp.suggest_int("units", 4, 16), activation="relu"),
    ...         keras.layers.Dense(2, activation="softmax")])
    ...     model.compile(optimizer=keras.optimizers.Adam(hp.suggest_float("lr", 1e-3, 1e-1,
    ...                                                                    log=True)),
    ...                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ...     return model
    >>> tuner = KerasTuner(build_model, objective="val_accuracy", seed=0)
    >>> tuner.search(x, y, epochs=2, validation_split=0.25, n_trials=2, verbose=0)
    >>> tuner.study.direction, sorted(tuner.best_params)
    ('maximize', ['lr', 'units'])
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from hyperscout._imports import optional_import
from hyperscout.integrations._common import check_trial, lazy_module_getattr, report_and_prune

__all__ = ["KerasTuner", "PruningCallback"]  # noqa: F822 (PruningCallback: built on first use)

_MAXIMIZE_HINTS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "score")
_MINIMIZE_HINTS = ("loss", "error", "mse", "mae", "crossentropy", "hinge", "rmse")


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return optional_import("keras", extra="keras", feature="hyperscout.integrations.keras")


def infer_direction(metric: str) -> str:
    """``"minimize"`` for losses and errors, ``"maximize"`` for accuracies, AUC, F1 and the like.

    Example:
        >>> infer_direction("val_accuracy"), infer_direction("val_loss")
        ('maximize', 'minimize')
    """
    name = metric.lower()
    if any(h in name for h in _MINIMIZE_HINTS):
        return "minimize"
    if any(h in name for h in _MAXIMIZE_HINTS):
        return "maximize"
    raise ValueError(
        f"cannot tell whether {metric!r} should be minimized or maximized; pass "
        "direction='minimize' or 'maximize'"
    )


def _build_callback() -> type:
    keras = _keras()

    # a base class from a runtime-imported module: mypy needs it as a name of type Any
    callback_base: Any = keras.callbacks.Callback

    class PruningCallback(callback_base):
        """Report ``logs[monitor]`` after each epoch and prune.

        Args:
            trial: The trial the objective received.
            monitor: A key of Keras' epoch logs (``"val_loss"``, ``"val_accuracy"``).
            report_every: Report (and ask the pruner) every this many epochs (default 1).
        """

        def __init__(self, trial: Any, monitor: str = "val_loss", *,
                     report_every: int = 1) -> None:
            check_trial(trial, "PruningCallback")
            if isinstance(report_every, bool) or not isinstance(report_every, int) or (
                    report_every < 1):
                raise ValueError(
                    f"PruningCallback(report_every={report_every!r}): must be an int >= 1"
                )
            super().__init__()
            self.trial = trial
            self.monitor = monitor
            self.report_every = report_every

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if (epoch + 1) % self.report_every:
                return
            logs = logs or {}
            if self.monitor not in logs:
                raise ValueError(
                    f"PruningCallback(monitor={self.monitor!r}): Keras logged {sorted(logs)}; "
                    "pass one of them (val_* keys need validation_data or validation_split)"
                )
            report_and_prune(self.trial, float(logs[self.monitor]), epoch, "epoch")

    return PruningCallback


__getattr__ = lazy_module_getattr(__name__, {"PruningCallback": _build_callback})


class KerasTuner:
    """Search a Keras model's hyperparameters the KerasTuner way, driven by a hyperscout study.

    Args:
        build_model: ``build_model(hp) -> compiled keras.Model``; ``hp`` is the trial.
        objective: The epoch-log metric to optimize (``"val_accuracy"``, ``"val_loss"``); a
            trial's value is its best epoch (as in KerasTuner).
        direction: ``"minimize"`` or ``"maximize"``; inferred from ``objective`` if ``None``
            (or taken from ``study`` when the name does not tell).
        fit_params: ``fit_params(hp) -> dict`` of extra ``model.fit`` arguments searched too
            (``{"batch_size": hp.suggest_categorical("batch_size", [16, 32, 64])}``).
        study: A study to use (its direction must match); by default an in-memory one with
            ``sampler``, ``pruner`` and ``seed``.
        sampler, pruner, seed: For the default study.
        prune: Add a :class:`PruningCallback` on ``objective`` to every fit (default True).
        keep_best_model: Keep the best model in memory (:meth:`get_best_models`).

    Attributes:
        study: The study; ``best_params``, ``best_value``, ``best_trial`` read from it.

    Example (a full search is in the module docstring):
        >>> KerasTuner(lambda hp: None, objective="val_auc").study.direction
        'maximize'
    """

    def __init__(self, build_model: Callable[[Any], Any], objective: str = "val_loss", *,
                 direction: str | None = None, fit_params: Callable[[Any], dict] | None = None,
                 study: Any = None, sampler: Any = None, pruner: Any = None, seed: Any = None,
                 prune: bool = True, keep_best_model: bool = True) -> None:
        if not callable(build_model):
            raise TypeError(f"KerasTuner(build_model={build_model!r}): must be callable(hp)")
        if fit_params is not None and not callable(fit_params):
            raise TypeError(f"KerasTuner(fit_params={fit_params!r}): must be callable(hp)")
        if not isinstance(objective, str) or not objective:
            raise ValueError(f"KerasTuner(objective={objective!r}): give a metric name")
        if direction is None:
            try:
                direction = infer_direction(objective)
            except ValueError:
                if study is None:
                    raise
                direction = study.direction
        if direction not in ("minimize", "maximize"):
            raise ValueError(
                f"KerasTuner(direction={direction!r}): use 'minimize' or 'maximize'"
            )
        if study is None:
            from hyperscout.study import create_study

            study = create_study(direction=direction, sampler=sampler, pruner=pruner, seed=seed)
        elif study.direction != direction:
            raise ValueError(
                f"KerasTuner: the study is to {study.direction} but direction={direction!r}; "
                "create the study with the same direction"
            )
        self.build_model = build_model
        self.objective = objective
        self.direction = direction
        self.fit_params = fit_params
        self.study = study
        self.prune = prune
        self.keep_best_model = keep_best_model
        self._best_model: Any = None
        self._best_value: float | None = None

    def _better(self, value: float) -> bool:
        if self._best_value is None:
            return True
        if self.direction == "maximize":
            return value > self._best_value
        return value < self._best_value

    def search(self, x: Any = None, y: Any = None, *, epochs: int = 1,
               n_trials: int | None = 10, timeout: float | None = None,
               callbacks: Sequence[Any] | None = None, **fit_kwargs: Any) -> None:
        """Run ``n_trials`` trials: build, fit (``x, y, epochs`` and ``fit_kwargs`` go to
        ``model.fit``, with ``fit_params(hp)`` on top), score the best epoch of ``objective``."""
        keras = _keras()
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"KerasTuner.search(epochs={epochs!r}): must be an int >= 1")
        cb_cls = _build_cached()
        extra = list(callbacks or ())
        pick = max if self.direction == "maximize" else min

        def objective(trial: Any) -> float:
            keras.utils.clear_session()
            model = self.build_model(trial)
            if not hasattr(model, "fit"):
                raise TypeError(
                    f"KerasTuner: build_model returned {type(model).__name__}, not a compiled "
                    "keras Model"
                )
            kwargs = {"epochs": epochs, **fit_kwargs}
            if self.fit_params is not None:
                kwargs.update(self.fit_params(trial))
            cbs = list(extra)
            if self.prune:
                cbs.append(cb_cls(trial, monitor=self.objective))
            history = model.fit(x, y, callbacks=cbs, **kwargs)
            values = [float(v) for v in history.history.get(self.objective, [])]
            values = [v for v in values if math.isfinite(v)]
            if not values:
                raise ValueError(
                    f"KerasTuner(objective={self.objective!r}): Keras logged "
                    f"{sorted(history.history)} (no finite {self.objective!r}); pass one of them"
                )
            value = pick(values)
            if self.keep_best_model and self._better(value):
                self._best_model, self._best_value = model, value
            return value

        self.study.optimize(objective, n_trials=n_trials, timeout=timeout)

    @property
    def best_params(self) -> dict[str, Any]:
        """Parameters of the best trial."""
        return self.study.best_params

    @property
    def best_value(self) -> float:
        """Best value of ``objective`` (best epoch of the best trial)."""
        return self.study.best_value

    @property
    def best_trial(self) -> Any:
        return self.study.best_trial

    def get_best_hyperparameters(self) -> dict[str, Any]:
        """KerasTuner's name for :attr:`best_params`."""
        return self.best_params

    def get_best_models(self, num_models: int = 1) -> list[Any]:
        """The best trial's model as it was at the end of its ``fit`` (its last epoch, which can
        score below the trial's best epoch); only one is kept: ``num_models=1``."""
        if num_models != 1:
            raise ValueError(
                f"KerasTuner.get_best_models(num_models={num_models}): only the best model is "
                "kept; rebuild others from study.trials with build_model"
            )
        if self._best_model is None:
            raise RuntimeError(
                "KerasTuner.get_best_models: no model kept (run search() first, with "
                "keep_best_model=True)"
            )
        return [self._best_model]


def _build_cached() -> type:
    return __getattr__("PruningCallback")
