"""Smoke tests: every integration example runs end to end on a tiny budget."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _run(name: str, argv: list[str]):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


def _importable(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed")
    except Exception as exc:  # a broken install (e.g. a mismatched torchvision under lightning)
        pytest.skip(f"{name} cannot be imported here: {exc}")


@pytest.mark.parametrize(
    ("name", "needs", "argv"),
    [
        ("torch_cnn_digits", "torch", ["--n-trials", "2", "--epochs", "2"]),
        ("torch_mlp_nas_digits", "torch", ["--n-trials", "3", "--epochs", "2"]),
        ("sklearn_searchcv", "sklearn", ["--n-trials", "3"]),
        ("xgboost_pruning", "xgboost", ["--n-trials", "2", "--rounds", "5"]),
        ("lightgbm_pruning", "lightgbm", ["--n-trials", "2", "--rounds", "5"]),
        ("keras_tuner_digits", "keras", ["--n-trials", "2", "--epochs", "2"]),
        ("lightning_digits", "lightning.pytorch", ["--n-trials", "2", "--epochs", "2"]),
    ],
)
def test_example_runs(name, needs, argv, capsys) -> None:
    if needs == "keras":
        import os

        os.environ.setdefault("KERAS_BACKEND", "torch")
        _importable("torch")
    _importable(needs)
    result = _run(name, argv)
    out = capsys.readouterr().out
    assert "best" in out
    study = getattr(result, "study", None) or getattr(result, "study_", None) or result
    assert len(study.trials) == int(argv[1])
    assert study.best_trial is not None


def test_mlflow_example_runs(tmp_path, monkeypatch, capsys) -> None:
    _importable("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    study = _run("mlflow_tracking", ["--n-trials", "2", "--tracking-uri", uri])
    assert len(study.trials) == 2
    assert f"logged 2 runs to {uri}" in capsys.readouterr().out
