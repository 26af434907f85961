"""Smoke tests: the deep-learning integration examples run end to end on a tiny budget."""

from __future__ import annotations

import os

import pytest


@pytest.mark.parametrize(
    ("name", "needs", "argv"),
    [
        ("torch_cnn_digits", "torch", ["--n-trials", "2", "--epochs", "2"]),
        ("torch_mlp_nas_digits", "torch", ["--n-trials", "3", "--epochs", "2"]),
        ("keras_tuner_digits", "keras", ["--n-trials", "2", "--epochs", "2"]),
        ("lightning_digits", "lightning.pytorch", ["--n-trials", "2", "--epochs", "2"]),
    ],
)
def test_example_runs(name, needs, argv, run_example, importable_or_skip, capsys) -> None:
    importable_or_skip("torch")
    if needs == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    importable_or_skip(needs)
    result = run_example(name, argv)
    assert "best" in capsys.readouterr().out
    study = getattr(result, "study", result)
    assert len(study.trials) == int(argv[1])
    assert study.best_trial is not None
