"""PyTorch: report, prune, checkpoint and pick the device in a plain training loop.

:class:`TorchTrial` wraps a trial, a model and (optionally) its optimizer and LR scheduler::

    def objective(trial):
        model = make_model(trial)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        tt = TorchTrial(trial, model, opt)        # picks the device and moves the model there
        for epoch in tt.epochs(20):               # starts after the last checkpointed epoch
            train_one_epoch(model, opt, tt.device)
            acc = evaluate(model, tt.device)
            tt.report(acc)                        # checkpoint, report, prune (raises TrialPruned)
        return acc

Each ``report`` first saves a checkpoint with ``trial.save_checkpoint`` (model, optimizer and
scheduler state, the epoch, and the torch, CUDA, numpy and ``random`` RNG states, serialised with
``torch.save``), then reports the value, then asks the pruner: persist first, so a trial that is
pruned, killed or retried can resume exactly where it stopped. ``tt.epochs`` (or ``tt.restore()``)
loads the latest checkpoint of the trial, or of the trial it inherits from (``checkpoint_from``,
as set by PBT or a retry), and continues bit-identically. Checkpoints are read with
``torch.load(weights_only=True)``: no arbitrary unpickling.

The device: an explicit ``device=`` wins; else a per-trial assignment in the trial's system
attribute ``"device"`` (an executor can set it); else the first visible CUDA device (executors
such as Ray give each worker its GPU through ``CUDA_VISIBLE_DEVICES``, so ``cuda:0`` is the
trial's own GPU); else Apple ``mps``; else the CPU. Needs ``pip install 'hyperscout[torch]'``.

Example:
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> import hyperscout as hs
    >>> study = hs.create_study(direction="maximize",
    ...                         artifact_store=hs.artifacts.InMemoryArtifactStore())
    >>> def objective(trial):
    ...     torch.manual_seed(0)
    ...     model = torch.nn.Linear(2, 1)
    ...     opt = torch.optim.SGD(model.parameters(), lr=trial.suggest_float("lr", 0.01, 0.1))
    ...     tt = TorchTrial(trial, model, opt, device="cpu")
    ...     x, y = torch.ones(8, 2), torch.zeros(8, 1)
    ...     for epoch in tt.epochs(3):
    ...         opt.zero_grad(); loss = ((model(x) - y) ** 2).mean(); loss.backward(); opt.step()
    ...         tt.report(-loss.item())
    ...     return -loss.item()
    >>> study.optimize(objective, n_trials=2)
    >>> sorted(study.trials[0].intermediate_values)
    [0, 1, 2]
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Iterator
from typing import Any, cast

import numpy as np

from hyperscout._imports import optional_import
from hyperscout.integrations._common import check_trial, report_and_prune

__all__ = ["TorchTrial", "load_state", "select_device", "state_bytes"]

DEVICE_ATTR = "device"
_FORMAT = 1


def _torch() -> Any:
    return optional_import("torch", extra="torch", feature="hyperscout.integrations.torch")


def select_device(trial: Any = None, device: Any = None) -> Any:
    """The ``torch.device`` a trial should train on.

    Order: ``device`` if given; the trial's system attribute ``"device"``; ``cuda:0`` if CUDA is
    available (the first of the devices ``CUDA_VISIBLE_DEVICES`` leaves visible: the GPU an
    executor such as Ray assigned to this worker); ``mps``; ``cpu``.

    Example:
        >>> import pytest; torch = pytest.importorskip("torch")
        >>> select_device(device="cpu")
        device(type='cpu')
    """
    torch = _torch()
    chosen = device
    if chosen is None and trial is not None:
        attrs = getattr(trial, "system_attrs", None) or getattr(trial, "_system_attrs", {})
        chosen = attrs.get(DEVICE_ATTR)
    if chosen is not None:
        try:
            dev = torch.device(chosen)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(
                f"select_device(device={chosen!r}): not a torch device ({exc}); use e.g. "
                "'cpu', 'cuda', 'cuda:1' or 'mps'"
            ) from None
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                raise ValueError(
                    f"select_device(device={chosen!r}): CUDA is not available here "
                    f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}); use "
                    "device='cpu' or run where a GPU is visible"
                )
            n = torch.cuda.device_count()
            if dev.index is not None and dev.index >= n:
                raise ValueError(
                    f"select_device(device={chosen!r}): only {n} CUDA device(s) are visible "
                    f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}); "
                    f"indices are 0..{n - 1} after CUDA_VISIBLE_DEVICES renumbering"
                )
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _rng_state() -> dict[str, Any]:
    torch = _torch()
    # the global RandomState is an MT19937, whose legacy state is this tuple (numpy's stubs
    # give the no-argument call the dict type of legacy=False)
    np_state = cast(tuple[str, np.ndarray, int, int, float], np.random.get_state())
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)),
                  int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "python": _py_random_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _py_random_state() -> list[Any]:
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _set_rng_state(state: dict[str, Any]) -> None:
    torch = _torch()
    torch.set_rng_state(state["torch"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def state_bytes(model: Any, optimizer: Any = None, scheduler: Any = None, *, epoch: int = -1,
                extra: dict[str, Any] | None = None, rng: bool = True) -> bytes:
    """Serialise a training state with ``torch.save`` (model, optimizer, scheduler, epoch, RNG
    states, ``extra``: tensors, numbers, strings, lists and dicts of them).

    Example:
        >>> import pytest; torch = pytest.importorskip("torch")
        >>> m = torch.nn.Linear(2, 2)
        >>> m2 = torch.nn.Linear(2, 2)
        >>> load_state(state_bytes(m, epoch=4), m2)["epoch"]
        4
        >>> torch.equal(m.weight, m2.weight)
        True
    """
    torch = _torch()
    payload: dict[str, Any] = {
        "format": _FORMAT,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "extra": dict(extra or {}),
        "rng": _rng_state() if rng else None,
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


def load_state(data: bytes, model: Any, optimizer: Any = None, scheduler: Any = None, *,
               map_location: Any = None, rng: bool = True) -> dict[str, Any]:
    """Load what :func:`state_bytes` wrote into ``model`` (and optimizer, scheduler, RNGs);
    returns the payload (``epoch``, ``extra``, ...). Reads with ``weights_only=True``."""
    torch = _torch()
    try:
        payload = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for a corrupt or foreign file
        raise ValueError(
            f"load_state: the checkpoint could not be read ({type(exc).__name__}: {exc}); it "
            "must come from hyperscout.integrations.torch.state_bytes"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(
            "load_state: not a hyperscout torch checkpoint (no 'format' "
            f"{_FORMAT} entry); write checkpoints with state_bytes"
        )
    model.load_state_dict(payload["model"])
    if optimizer is not None:
        if payload["optimizer"] is None:
            raise ValueError("load_state: the checkpoint has no optimizer state; pass "
                             "optimizer=None or save one with state_bytes(optimizer=...)")
        optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None:
        if payload["scheduler"] is None:
            raise ValueError("load_state: the checkpoint has no scheduler state; pass "
                             "scheduler=None or save one with state_bytes(scheduler=...)")
        scheduler.load_state_dict(payload["scheduler"])
    if rng and payload.get("rng") is not None:
        _set_rng_state(payload["rng"])
    return payload


class TorchTrial:
    """A trial's helper for a plain PyTorch loop: device, per-epoch report, prune, checkpoint.

    Args:
        trial: The trial the objective received.
        model: The ``torch.nn.Module``; moved to :attr:`device`.
        optimizer: Its optimizer (checkpointed and restored with it).
        scheduler: An LR scheduler (checkpointed and restored).
        device: Force a device (``"cpu"``, ``"cuda:1"``); see :func:`select_device`.
        checkpoint_every: Save a checkpoint every this many reports (``0``: never). The study's
            artifact store keeps only each trial's latest checkpoint.
        checkpoint_name: The checkpoint's name in the artifact store.
        restore_rng: Restore the RNG states with the checkpoint (bit-identical resume).

    Attributes:
        device: The ``torch.device`` to put batches on.
        epoch: The current epoch (set by :meth:`epochs`; ``report`` uses it as the step).
        start_epoch: The first epoch to run (0, or the one after a restored checkpoint).
        extra: A dict saved with every checkpoint and restored with it (best score so far,
            sampler state of your own, ...).

    Example:
        >>> import pytest; torch = pytest.importorskip("torch")
        >>> import hyperscout as hs
        >>> study = hs.create_study(artifact_store=hs.artifacts.InMemoryArtifactStore())
        >>> tt = TorchTrial(study.ask(), torch.nn.Linear(2, 1), device="cpu")
        >>> tt.device, list(tt.epochs(2))
        (device(type='cpu'), [0, 1])
    """

    def __init__(self, trial: Any, model: Any, optimizer: Any = None, scheduler: Any = None, *,
                 device: Any = None, checkpoint_every: int = 1,
                 checkpoint_name: str = "checkpoint", restore_rng: bool = True) -> None:
        check_trial(trial, "TorchTrial")
        torch = _torch()
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"TorchTrial(model={type(model).__name__}): expected a torch.nn.Module")
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or (
                checkpoint_every < 0):
            raise ValueError(
                f"TorchTrial(checkpoint_every={checkpoint_every!r}): must be an int >= 0 "
                "(0: never checkpoint)"
            )
        self.trial = trial
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.device = select_device(trial, device)
        self.model.to(self.device)
        self.checkpoint_every = checkpoint_every
        self.checkpoint_name = checkpoint_name
        self.restore_rng = restore_rng
        self.epoch = 0
        self.start_epoch = 0
        self.extra: dict[str, Any] = {}
        self._reports = 0
        self._restored = False

    def restore(self) -> int:
        """Load the latest checkpoint (this trial's, or the one it inherits); returns the epoch
        to start from (0 without a checkpoint). Called by :meth:`epochs` once."""
        self._restored = True
        data = self.trial.load_checkpoint(self.checkpoint_name) if hasattr(
            self.trial, "load_checkpoint") else None
        if data is None:
            return self.start_epoch
        payload = load_state(data, self.model, self.optimizer, self.scheduler,
                             map_location=self.device, rng=self.restore_rng)
        self.extra = dict(payload.get("extra") or {})
        self.start_epoch = self.epoch = int(payload["epoch"]) + 1
        return self.start_epoch

    def epochs(self, n_epochs: int) -> Iterator[int]:
        """Epoch numbers ``start_epoch .. n_epochs - 1`` (restoring a checkpoint first)."""
        if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 0:
            raise ValueError(f"TorchTrial.epochs(n_epochs={n_epochs!r}): must be an int >= 0")
        if not self._restored:
            self.restore()
        for epoch in range(self.start_epoch, n_epochs):
            self.epoch = epoch
            yield epoch

    def save(self) -> None:
        """Checkpoint now (model, optimizer, scheduler, epoch, RNGs, :attr:`extra`)."""
        if not hasattr(self.trial, "save_checkpoint"):
            raise TypeError("TorchTrial.save: this trial cannot store checkpoints")
        self.trial.save_checkpoint(
            state_bytes(self.model, self.optimizer, self.scheduler, epoch=self.epoch,
                        extra=self.extra, rng=self.restore_rng),
            self.checkpoint_name,
        )

    def report(self, value: float, step: int | None = None) -> None:
        """Checkpoint (every ``checkpoint_every`` reports), report ``value`` at ``step``
        (default: the current epoch), then raise :class:`~hyperscout.TrialPruned` if the
        pruner says so."""
        if step is not None:
            self.epoch = int(step)
        self._reports += 1
        if self.checkpoint_every and self._reports % self.checkpoint_every == 0:
            self.save()
        report_and_prune(self.trial, value, self.epoch, "epoch")
