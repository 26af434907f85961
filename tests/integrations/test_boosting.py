"""XGBoost and LightGBM pruning callbacks with the real libraries: reported values are the
libraries' own evaluation logs, and a pruned trial's training really stops."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.exceptions import OptionalDependencyError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(300, 5))
Y = (X[:, 0] + 0.5 * X[:, 1] + RNG.normal(scale=0.5, size=300) > 0).astype(int)
X_TR, Y_TR, X_VA, Y_VA = X[:200], Y[:200], X[200:], Y[200:]


# -- XGBoost ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def xgb():
    return pytest.importorskip("xgboost")


def _xgb_rounds_counter(xgb):
    class Count(xgb.callback.TrainingCallback):
        def __init__(self):
            super().__init__()
            self.rounds = 0

        def after_iteration(self, model, epoch, evals_log):
            self.rounds += 1
            return False

    return Count()


def test_xgboost_reports_the_logged_metric_every_round(xgb) -> None:
    from hyperscout.integrations.xgboost import XGBoostPruningCallback

    dtrain, dvalid = xgb.DMatrix(X_TR, Y_TR), xgb.DMatrix(X_VA, Y_VA)
    study = hs.create_study(seed=0)
    logs: dict = {}

    def objective(trial):
        params = {"objective": "binary:logistic", "eval_metric": ["auc", "logloss"],
                  "eta": trial.suggest_float("eta", 0.1, 0.3), "nthread": 1}
        xgb.train(params, dtrain, 12, evals=[(dtrain, "train"), (dvalid, "valid")],
                  evals_result=logs, verbose_eval=False,
                  callbacks=[XGBoostPruningCallback(trial)])
        return logs["valid"]["logloss"][-1]

    study.optimize(objective, n_trials=1)
    t = study.trials[0]
    assert t.state is hs.TrialState.COMPLETE
    # default: the last evaluation set and its last metric, as XGBoost's early stopping
    assert [t.intermediate_values[i] for i in range(12)] == logs["valid"]["logloss"]


def test_xgboost_pruning_stops_training(xgb, prune_from_step) -> None:
    from hyperscout.integrations.xgboost import XGBoostPruningCallback

    dtrain, dvalid = xgb.DMatrix(X_TR, Y_TR), xgb.DMatrix(X_VA, Y_VA)
    study = hs.create_study(direction="maximize", pruner=prune_from_step(3), seed=0)
    counters = []

    def objective(trial):
        count = _xgb_rounds_counter(xgb)
        counters.append(count)
        params = {"objective": "binary:logistic", "eval_metric": "auc", "nthread": 1,
                  "max_depth": trial.suggest_int("max_depth", 1, 3)}
        xgb.train(params, dtrain, 50, evals=[(dvalid, "valid")], verbose_eval=False,
                  callbacks=[XGBoostPruningCallback(trial, "valid", "auc"), count])
        return 1.0

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [hs.TrialState.PRUNED] * 2
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2, 3]
    # the callback after ours never saw round 3: training ended inside round 3's callbacks
    assert [c.rounds for c in counters] == [3, 3]


def test_xgboost_sklearn_wrapper_and_cv_mean(xgb) -> None:
    from hyperscout.integrations.xgboost import XGBoostPruningCallback

    study = hs.create_study()
    trial = study.ask()
    clf = xgb.XGBClassifier(n_estimators=5, n_jobs=1, eval_metric="logloss",
                            callbacks=[XGBoostPruningCallback(trial, "validation_0")])
    clf.fit(X_TR, Y_TR, eval_set=[(X_VA, Y_VA)], verbose=False)
    assert [trial.intermediate_values[i] for i in range(5)] == pytest.approx(
        clf.evals_result()["validation_0"]["logloss"])
    trial2 = study.ask()
    res = xgb.cv({"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1},
                 xgb.DMatrix(X, Y), 4, nfold=3, seed=0,
                 callbacks=[XGBoostPruningCallback(trial2, "test")])
    assert [trial2.intermediate_values[i] for i in range(4)] == pytest.approx(
        list(res["test-logloss-mean"]))


def test_xgboost_errors_name_the_argument(xgb, monkeypatch) -> None:
    from hyperscout.integrations import xgboost as mod

    trial = hs.create_study().ask()
    dtrain = xgb.DMatrix(X_TR, Y_TR)
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1}
    with pytest.raises(ValueError, match=r"dataset='nope'.*\['train'\]"):
        xgb.train(params, dtrain, 2, evals=[(dtrain, "train")], verbose_eval=False,
                  callbacks=[mod.XGBoostPruningCallback(trial, dataset="nope")])
    with pytest.raises(ValueError, match=r"metric='auc'.*\['logloss'\]"):
        xgb.train(params, dtrain, 2, evals=[(dtrain, "train")], verbose_eval=False,
                  callbacks=[mod.XGBoostPruningCallback(trial, metric="auc")])
    with pytest.raises(ValueError, match="evaluated nothing"):
        xgb.train(params, dtrain, 2, callbacks=[mod.XGBoostPruningCallback(trial)])
    with pytest.raises(TypeError, match="pass the hyperscout Trial"):
        mod.XGBoostPruningCallback("trial")
    with pytest.raises(ValueError, match="report_every=0"):
        mod.XGBoostPruningCallback(trial, report_every=0)
    monkeypatch.setitem(sys.modules, "xgboost", None)
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[xgboost\]"):
        mod._build()


# -- LightGBM -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lgb():
    return pytest.importorskip("lightgbm")


PARAMS = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1,
          "num_threads": 1, "num_leaves": 4}


def test_lightgbm_reports_the_logged_metric_every_round(lgb) -> None:
    from hyperscout.integrations.lightgbm import LightGBMPruningCallback

    study = hs.create_study()
    trial = study.ask()
    logs: dict = {}
    lgb.train(PARAMS, lgb.Dataset(X_TR, Y_TR), 10,
              valid_sets=[lgb.Dataset(X_TR, Y_TR), lgb.Dataset(X_VA, Y_VA)],
              valid_names=["training", "valid"],
              callbacks=[lgb.record_evaluation(logs), LightGBMPruningCallback(trial)])
    assert [trial.intermediate_values[i] for i in range(10)] == logs["valid"]["binary_logloss"]
    trial2 = hs.create_study(direction="maximize").ask()
    res = lgb.cv(PARAMS, lgb.Dataset(X, Y), 5, nfold=3, seed=0,
                 callbacks=[LightGBMPruningCallback(trial2, metric="auc")])
    assert [trial2.intermediate_values[i] for i in range(5)] == pytest.approx(
        res["valid auc-mean"])


def test_lightgbm_pruning_stops_training(lgb, prune_from_step) -> None:
    from hyperscout.integrations.lightgbm import LightGBMPruningCallback

    study = hs.create_study(pruner=prune_from_step(4), seed=0)
    logs: dict = {}

    def objective(trial):
        lgb.train({**PARAMS, "num_leaves": trial.suggest_int("num_leaves", 2, 6)},
                  lgb.Dataset(X_TR, Y_TR), 100, valid_sets=[lgb.Dataset(X_VA, Y_VA)],
                  callbacks=[lgb.record_evaluation(logs), LightGBMPruningCallback(trial)])
        return 0.0

    study.optimize(objective, n_trials=1)
    t = study.trials[0]
    assert t.state is hs.TrialState.PRUNED
    assert sorted(t.intermediate_values) == [0, 1, 2, 3, 4]
    assert len(logs["valid_0"]["binary_logloss"]) == 5  # 5 of 100 rounds ran


def test_lightgbm_errors_name_the_argument(lgb, monkeypatch) -> None:
    from hyperscout.integrations.lightgbm import LightGBMPruningCallback

    train = lgb.Dataset(X_TR, Y_TR)
    trial = hs.create_study(direction="maximize").ask()
    with pytest.raises(ValueError, match="binary_logloss is better when lower.*'minimize'"):
        lgb.train(PARAMS, train, 2, valid_sets=[lgb.Dataset(X_VA, Y_VA)],
                  callbacks=[LightGBMPruningCallback(trial)])
    with pytest.raises(ValueError, match=r"dataset='x'.*\['valid_0'\]"):
        lgb.train(PARAMS, train, 2, valid_sets=[lgb.Dataset(X_VA, Y_VA)],
                  callbacks=[LightGBMPruningCallback(trial, dataset="x")])
    with pytest.raises(ValueError, match=r"metric='rmse'.*'auc'"):
        lgb.train(PARAMS, train, 2, valid_sets=[lgb.Dataset(X_VA, Y_VA)],
                  callbacks=[LightGBMPruningCallback(trial, metric="rmse")])
    with pytest.raises(ValueError, match="report_every=-1"):
        LightGBMPruningCallback(trial, report_every=-1)
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    with pytest.raises(OptionalDependencyError, match=r"hyperscout\[lightgbm\]"):
        LightGBMPruningCallback(trial)
