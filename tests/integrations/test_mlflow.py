"""MLflowCallback against a real MLflow tracking store in tmp_path: one run per trial under the
study's parent run, with params, metrics (and their history), tags and status."""

from __future__ import annotations

import sys

import pytest

mlflow = pytest.importorskip("mlflow")

import hyperscout as hs  # noqa: E402
from hyperscout.exceptions import OptionalDependencyError  # noqa: E402
from hyperscout.integrations.mlflow import MLflowCallback  # noqa: E402


@pytest.fixture
def uri(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # fast local store for tests
    return (tmp_path / "mlruns").as_uri()


def _objective(trial):
    x = trial.suggest_float("x", -2, 2)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    trial.set_user_attr("note", {"k": 1})
    for step in range(3):
        trial.report(x * x + step, step)
        if trial.should_prune():
            raise hs.TrialPruned()
    if kind == "b" and x > 1.5:
        raise RuntimeError("boom")
    return x * x


def test_each_trial_is_a_child_run_with_params_metrics_tags(uri, prune_below) -> None:
    cb = MLflowCallback(uri, metric_name="loss", tags={"team": "hpo"})
    study = hs.create_study(name="mlf", seed=0, pruner=prune_below(3.0, maximize=False))
    study.optimize(_objective, n_trials=8, callbacks=[cb], catch=(RuntimeError,))
    client = cb.client
    exp = client.get_experiment_by_name("mlf")
    runs = client.search_runs([exp.experiment_id], max_results=100)
    parent = [r for r in runs if r.data.tags.get("hyperscout.parent") == "true"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId")]
    assert len(parent) == 1 and len(children) == 8
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent[0].info.run_id}
    by_number = {int(c.data.tags["hyperscout.trial_number"]): c for c in children}
    status = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
    for t in study.trials:
        run = by_number[t.number]
        assert run.info.run_name == f"trial-{t.number}"
        assert run.data.params == {"x": str(t.params["x"]), "kind": t.params["kind"]}
        assert run.data.tags["hyperscout.state"] == t.state.name
        assert run.info.status == status[t.state.name]
        assert run.data.tags["team"] == "hpo"
        assert run.data.tags["user_attr.note"] == '{"k": 1}'
        history = client.get_metric_history(run.info.run_id, "intermediate_loss")
        assert {m.step: m.value for m in history} == dict(t.intermediate_values)
        if t.state is hs.TrialState.COMPLETE:
            assert run.data.metrics["loss"] == t.value
        else:
            assert "loss" not in run.data.metrics
        if t.state is hs.TrialState.FAIL:
            assert "boom" in run.data.tags["hyperscout.error"]
    states = {t.state for t in study.trials}
    assert hs.TrialState.COMPLETE in states and hs.TrialState.PRUNED in states
    best = client.get_metric_history(parent[0].info.run_id, "best_loss")
    assert best[-1].value == study.best_value
    assert parent[0].data.tags["hyperscout.directions"] == "minimize"


def test_a_resumed_study_reuses_its_parent_run(uri) -> None:
    storage = hs.storage.InMemoryStorage()
    study = hs.create_study(name="again", storage=storage, seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2,
                   callbacks=[MLflowCallback(uri)])
    again = hs.load_study("again", storage)
    cb = MLflowCallback(uri)  # a new process would build a new callback
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[cb])
    runs = cb.client.search_runs([cb.experiment_id(again)])
    assert sum(r.data.tags.get("hyperscout.parent") == "true" for r in runs) == 1
    assert len(runs) == 5  # one parent, four trials
    best = cb.client.get_metric_history(cb.parent_run_id(again), "best_value")
    assert [m.step for m in best] == [0, 1, 2, 3]


def test_multi_objective_names_and_errors(uri, monkeypatch) -> None:
    study = hs.create_study(name="mo", directions=["minimize", "maximize"], seed=0)
    cb = MLflowCallback(uri, metric_name=["err", "acc"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2, callbacks=[cb])
    complete = "tags.`hyperscout.state` = 'COMPLETE'"
    runs = cb.client.search_runs([cb.experiment_id(study)], complete)
    assert all(set(r.data.metrics) >= {"err", "acc"} for r in runs) and len(runs) == 2
    bad = MLflowCallback(uri, metric_name=["a", "b", "c"])
    with pytest.raises(ValueError, match="one name per objective"):
        study.optimize(lambda t: (0.0, 1.0), n_trials=1, callbacks=[bad])
    with pytest.raises(ValueError, match="metric_name=''"):
        MLflowCallback(uri, metric_name="")
    with pytest.raises(TypeError, match="tags=\\['x'\\]"):
        MLflowCallback(uri, tags=["x"])
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[mlflow\]"):
        MLflowCallback(uri)
