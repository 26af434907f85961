"""Smoke tests: the scikit-learn, boosting and MLflow examples run end to end on a tiny budget
(the deep-learning ones are in test_examples_dl.py; the DDP one in test_lightning_ddp.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("name", "needs", "argv"),
    [
        ("sklearn_searchcv", "sklearn", ["--n-trials", "3"]),
        ("xgboost_pruning", "xgboost", ["--n-trials", "2", "--rounds", "5"]),
        ("lightgbm_pruning", "lightgbm", ["--n-trials", "2", "--rounds", "5"]),
    ],
)
def test_example_runs(name, needs, argv, run_example, importable_or_skip, capsys) -> None:
    importable_or_skip(needs)
    result = run_example(name, argv)
    assert "best" in capsys.readouterr().out
    study = getattr(result, "study_", result)
    assert len(study.trials) == int(argv[1])
    assert study.best_trial is not None


def test_mlflow_example_runs(tmp_path, monkeypatch, run_example, importable_or_skip,
                             capsys) -> None:
    importable_or_skip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    study = run_example("mlflow_tracking", ["--n-trials", "2", "--tracking-uri", uri])
    assert len(study.trials) == 2
    assert f"logged 2 runs to {uri}" in capsys.readouterr().out
