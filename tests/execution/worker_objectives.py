"""Objectives for the worker-process tests: module level, so that spawned processes can import
them (and ``hyperscout worker FILE.py:FUNCTION`` can load this file)."""

from __future__ import annotations

import os
import pathlib
import time


def quadratic(trial):
    """A trivial objective whose value is checkable from its parameter."""
    x = trial.suggest_float("x", -5.0, 5.0)
    trial.report(x * x, 0)
    return x * x


def boom(trial):
    trial.suggest_float("x", 0.0, 1.0)
    raise ValueError("objective exploded")


def hang_once(trial):
    """Trial number ``HS_TEST_HANG_NUMBER`` (first attempt only) saves a checkpoint, writes the
    marker file ``HS_TEST_MARKER`` and hangs, so that the test can SIGKILL its worker
    mid-trial; its retry records the checkpoint it resumes from."""
    x = trial.suggest_float("x", -5.0, 5.0)
    hang = int(os.environ.get("HS_TEST_HANG_NUMBER", "-1"))
    retried_from = trial.to_frozen().system_attrs.get("retried_from")
    if trial.number == hang and retried_from is None:
        trial.save_checkpoint(f"state of trial {trial.number}".encode())
        pathlib.Path(os.environ["HS_TEST_MARKER"]).write_text(str(trial.number))
        time.sleep(120)
    if retried_from is not None:
        ckpt = trial.load_checkpoint()
        trial.set_user_attr("resumed", None if ckpt is None else ckpt.decode())
    return x * x
