"""Lightning: a callback that reports a validation metric after every validation and prunes.

``PruningCallback(trial, monitor="val_loss")`` is a Lightning ``Callback`` (from the
``lightning`` package, or ``pytorch_lightning`` if only that is installed). After each validation
run (not the sanity check) it reads ``trainer.callback_metrics[monitor]`` (what your module
``self.log``-ged), reports it at step = ``trainer.current_epoch`` and asks the study's pruner.
Needs ``pip install 'hyperscout[lightning]'``; Lightning is imported when the class is first used.

Single process (CPU, one GPU): a prune decision raises :class:`~hyperscout.TrialPruned` at once,
which ends ``trainer.fit`` and marks the trial pruned.

Several processes (DDP and other multi-GPU strategies): the trial lives in global rank 0.
- Only rank 0 reports and asks the pruner; other ranks never touch the trial or the storage,
  even when their copy of the callback holds one. The callback does not pickle its trial, so
  copies sent to spawned workers hold ``None``.
- The decision is broadcast from rank 0 (``trainer.strategy.broadcast``) and every rank sets
  ``trainer.should_stop``, so all ranks leave the loop after the same epoch (raising in one
  rank would leave the others waiting in a collective).
- After ``trainer.fit`` returns, call ``callback.check_pruned()`` in rank 0: it raises
  ``TrialPruned`` if the trial was pruned.
- That every rank trains with the same hyperparameters is up to the launch: sample them in
  rank 0 and hand them to the workers. ``examples/lightning_ddp.py`` shows one way with the
  ``ddp`` strategy (rank 0 is the study's process; Lightning re-runs the script for the other
  ranks with rank 0's environment, so the parameters travel in an environment variable, and the
  workers use ``PruningCallback(None)``); it is tested with a real 2-process run on CPU.
  Lightning starts those workers once per process, so that pattern runs one trial per process.

Example (a full training run is in ``examples/lightning_mlp.py``):
    >>> import pytest
    >>> try:
    ...     import lightning.pytorch as pl
    ... except Exception as exc:  # not installed, or broken (e.g. a mismatched torchvision)
    ...     pytest.skip(f"lightning unavailable: {exc}")
    >>> import hyperscout as hs
    >>> from hyperscout.integrations.lightning import PruningCallback
    >>> cb = PruningCallback(hs.create_study().ask(), monitor="val_acc")
    >>> isinstance(cb, pl.Callback), cb.pruned
    (True, False)
"""

from __future__ import annotations

import importlib
from typing import Any

from hyperscout.exceptions import OptionalDependencyError, TrialPruned
from hyperscout.integrations._common import check_trial, lazy_module_getattr, report_and_prune

__all__ = ["PruningCallback"]  # noqa: F822 (built on first use by __getattr__)


def _lightning() -> Any:
    errors = []
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise OptionalDependencyError(
        "hyperscout.integrations.lightning needs the optional package 'lightning' (or "
        f"'pytorch_lightning'), which is not installed ({'; '.join(errors)}); install it with: "
        "pip install 'hyperscout[lightning]'"
    )


def _build() -> type:
    pl = _lightning()

    # a base class from a runtime-imported module: mypy needs it as a name of type Any
    callback_base: Any = pl.Callback

    class PruningCallback(callback_base):
        """Report ``trainer.callback_metrics[monitor]`` after each validation; prune.

        Args:
            trial: The trial the objective received (needed in global rank 0 only).
            monitor: A metric your LightningModule logs (``self.log("val_loss", ...)``).
        """

        def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
            if trial is not None:
                check_trial(trial, "PruningCallback")
            if not isinstance(monitor, str) or not monitor:
                raise ValueError(f"PruningCallback(monitor={monitor!r}): give a metric name")
            super().__init__()
            self.trial = trial
            self.monitor = monitor
            self.pruned = False
            self.pruned_epoch: int | None = None

        def __getstate__(self) -> dict[str, Any]:
            state = dict(self.__dict__)
            state["trial"] = None  # a study is not picklable, and workers must not use it
            return state

        def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
            if trainer.sanity_checking:
                return
            epoch = int(trainer.current_epoch)
            distributed = int(getattr(trainer, "world_size", 1)) > 1
            prune = False
            if trainer.is_global_zero:
                if self.trial is None:
                    raise ValueError(
                        "PruningCallback(trial=None) in global rank 0: the trial must live in "
                        "rank 0 (with spawned workers, run the study in a process that is "
                        "rank 0)"
                    )
                metrics = trainer.callback_metrics
                if self.monitor not in metrics:
                    raise ValueError(
                        f"PruningCallback(monitor={self.monitor!r}): the module logged "
                        f"{sorted(metrics)}; pass one of them (log it with self.log in "
                        "validation_step)"
                    )
                value = float(metrics[self.monitor])
                if distributed:
                    self.trial.report(value, epoch)
                    prune = bool(self.trial.should_prune())
                else:
                    try:
                        report_and_prune(self.trial, value, epoch, "epoch")
                    except TrialPruned:
                        self.pruned, self.pruned_epoch = True, epoch
                        raise
            if distributed:
                prune = bool(trainer.strategy.broadcast(prune, src=0))
                if prune:
                    self.pruned, self.pruned_epoch = True, epoch
                    trainer.should_stop = True

        def check_pruned(self) -> None:
            """Raise :class:`~hyperscout.TrialPruned` if the trial was pruned (call it after
            ``trainer.fit`` in rank 0 of a multi-process run; harmless otherwise)."""
            if self.pruned:
                raise TrialPruned(f"trial pruned at epoch {self.pruned_epoch}")

    return PruningCallback


__getattr__ = lazy_module_getattr(__name__, {"PruningCallback": _build})
