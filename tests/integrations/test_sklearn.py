"""HyperscoutSearchCV against scikit-learn itself: GridSearchCV on an exhaustive grid,
cross_val_score for the per-fold reports, and scikit-learn's estimator checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import get_scorer  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import hyperscout as hs  # noqa: E402
from hyperscout.integrations.sklearn import HyperscoutSearchCV  # noqa: E402
from hyperscout.samplers import GridSampler  # noqa: E402

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
GRID = {"C": [0.01, 0.1, 1.0, 10.0], "gamma": [0.01, 0.1, 1.0]}


def _key(params):
    return tuple(sorted(params.items()))


def test_exhaustive_grid_agrees_with_gridsearchcv() -> None:
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ref = GridSearchCV(SVC(), GRID, cv=cv, return_train_score=True).fit(X_IRIS, Y_IRIS)
    ours = HyperscoutSearchCV(SVC(), GRID, n_trials=None, cv=cv, sampler=GridSampler(GRID),
                              random_state=0, return_train_score=True).fit(X_IRIS, Y_IRIS)
    assert len(ours.cv_results_["params"]) == 12
    assert set(ref.cv_results_) <= set(ours.cv_results_)
    assert set(ours.cv_results_) - set(ref.cv_results_) == {"trial_number", "state"}
    ref_rows = {_key(p): i for i, p in enumerate(ref.cv_results_["params"])}
    for j, p in enumerate(ours.cv_results_["params"]):
        i = ref_rows[_key(p)]
        for k in ref.cv_results_:
            if "_test_" in k or "_train_" in k:
                assert ours.cv_results_[k][j] == ref.cv_results_[k][i], k
        assert ours.cv_results_["param_C"][j] == p["C"]
    assert ours.best_score_ == ref.best_score_
    tied = [ref.cv_results_["params"][i] for i in np.flatnonzero(
        ref.cv_results_["rank_test_score"] == 1)]
    assert ours.best_params_ in tied
    np.testing.assert_array_equal(ours.predict(X_IRIS),
                                  SVC(**ours.best_params_).fit(X_IRIS, Y_IRIS).predict(X_IRIS))
    assert ours.score(X_IRIS, Y_IRIS) == pytest.approx(
        SVC(**ours.best_params_).fit(X_IRIS, Y_IRIS).score(X_IRIS, Y_IRIS))
    assert ours.refit_time_ > 0 and np.all(ours.cv_results_["mean_fit_time"] > 0)
    assert list(ours.cv_results_["state"]) == ["COMPLETE"] * 12
    assert len(ours.study_.trials) == 12


def test_multimetric_with_refit_name_matches_gridsearchcv() -> None:
    grid = {"C": [0.1, 1.0, 10.0]}
    scoring = {"acc": "accuracy", "f1": "f1_macro"}
    cv = KFold(3, shuffle=True, random_state=1)
    est = LogisticRegression(max_iter=1000)
    ref = GridSearchCV(est, grid, cv=cv, scoring=scoring, refit="f1").fit(X_IRIS, Y_IRIS)
    ours = HyperscoutSearchCV(est, grid, n_trials=None, cv=cv, scoring=scoring, refit="f1",
                              sampler=GridSampler(grid)).fit(X_IRIS, Y_IRIS)
    assert ours.multimetric_ and set(ours.scorer_) == {"acc", "f1"}
    assert set(ref.cv_results_) <= set(ours.cv_results_)
    assert ours.best_score_ == ref.best_score_
    for name in ("acc", "f1"):
        key = f"mean_test_{name}"
        got = dict(zip(map(_key, ours.cv_results_["params"]), ours.cv_results_[key]))
        want = dict(zip(map(_key, ref.cv_results_["params"]), ref.cv_results_[key]))
        assert got == want
    tied = [ref.cv_results_["params"][i] for i in np.flatnonzero(
        ref.cv_results_["rank_test_f1"] == 1)]
    assert ours.best_params_ in tied
    refit = clone(est).set_params(**ours.best_params_).fit(X_IRIS, Y_IRIS)
    assert ours.score(X_IRIS, Y_IRIS) == pytest.approx(
        get_scorer("f1_macro")(refit, X_IRIS, Y_IRIS))
    # the study maximized the refit metric: its trial values are the mean f1 scores
    values = sorted(t.value for t in ours.study_.trials)
    assert values == sorted(ours.cv_results_["mean_test_f1"])


def test_a_callable_scoring_that_returns_a_dict_is_multimetric() -> None:
    def scoring(est, X, y):
        acc = float((est.predict(X) == y).mean())
        return {"acc": acc, "err": 1.0 - acc}

    grid = {"C": [0.01, 1.0]}
    s = HyperscoutSearchCV(LogisticRegression(max_iter=500), grid, n_trials=None, cv=3,
                           scoring=scoring, refit="acc", sampler=GridSampler(grid)).fit(
        X_IRIS, Y_IRIS)
    assert s.multimetric_ and {"mean_test_acc", "rank_test_err"} <= set(s.cv_results_)
    assert s.best_params_ == {"C": 1.0}
    assert s.score(X_IRIS, Y_IRIS) == pytest.approx(
        float((s.best_estimator_.predict(X_IRIS) == Y_IRIS).mean()))
    with pytest.raises(ValueError, match=r"refit must name the metric.*\['acc', 'err'\]"):
        HyperscoutSearchCV(LogisticRegression(), grid, n_trials=1, cv=3, scoring=scoring,
                           refit="f1").fit(X_IRIS, Y_IRIS)


def test_pruning_across_folds_reports_the_running_mean(prune_below) -> None:
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    grid = {"C": [1e-4, 1.0]}  # C=1e-4 is bad (about a third right), C=1 is good
    search = HyperscoutSearchCV(LogisticRegression(max_iter=1000), grid, n_trials=None, cv=cv,
                                sampler=GridSampler(grid), pruner=prune_below(0.8)).fit(
        X_IRIS, Y_IRIS)
    res = search.cv_results_
    by_c = {p["C"]: i for i, p in enumerate(res["params"])}
    bad, good = by_c[1e-4], by_c[1.0]
    assert res["state"][bad] == "PRUNED" and res["state"][good] == "COMPLETE"
    # the bad candidate stopped after its first fold: the other folds never ran
    assert not np.isnan(res["split0_test_score"][bad])
    assert all(np.isnan(res[f"split{s}_test_score"][bad]) for s in range(1, 5))
    assert np.isnan(res["mean_test_score"][bad]) and res["rank_test_score"][bad] == 2
    assert search.best_params_ == {"C": 1.0}
    # reported values are the running means of scikit-learn's own fold scores
    folds = cross_val_score(LogisticRegression(C=1.0, max_iter=1000), X_IRIS, Y_IRIS, cv=cv)
    trial = next(t for t in search.study_.trials if t.params["C"] == 1.0)
    running = np.cumsum(folds) / np.arange(1, 6)
    assert [trial.intermediate_values[s] for s in range(5)] == pytest.approx(running, abs=1e-12)
    pruned = next(t for t in search.study_.trials if t.params["C"] == 1e-4)
    assert pruned.state is hs.TrialState.PRUNED and list(pruned.intermediate_values) == [0]


def test_random_search_is_reproducible_and_works_in_threads() -> None:
    X, y = load_diabetes(return_X_y=True)
    space = {"alpha": hs.Float(1e-3, 1e2, log=True), "fit_intercept": [True, False]}
    a = HyperscoutSearchCV(Ridge(), space, n_trials=6, cv=3, random_state=3).fit(X, y)
    b = HyperscoutSearchCV(Ridge(), space, n_trials=6, cv=3, random_state=3).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert 1e-3 <= a.best_params_["alpha"] <= 1e2
    # fitting the same instance again gives the same search (sampler copied at fit)
    first = a.cv_results_["params"]
    assert a.fit(X, y).cv_results_["params"] == first
    threaded = HyperscoutSearchCV(Ridge(), space, n_trials=6, cv=3, n_jobs=2,
                                  random_state=3).fit(X, y)
    assert len(threaded.cv_results_["params"]) == 6
    assert sorted(threaded.cv_results_["trial_number"]) == list(range(6))


def test_in_a_pipeline_with_clone_and_object_choices() -> None:
    search = HyperscoutSearchCV(
        Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))]),
        {"clf": [LogisticRegression(max_iter=500), DecisionTreeClassifier(random_state=0)],
         "scale__with_mean": [True, False]},
        n_trials=4, cv=3, random_state=0,
    )
    twin = clone(search)
    assert twin.get_params()["n_trials"] == 4 and twin is not search
    assert not hasattr(twin, "cv_results_")
    twin.fit(X_IRIS, Y_IRIS)
    assert type(twin.best_params_["clf"]).__name__ in ("LogisticRegression",
                                                       "DecisionTreeClassifier")
    assert twin.best_estimator_.named_steps["clf"] is not twin.best_params_["clf"]
    outer = make_pipeline(StandardScaler(), HyperscoutSearchCV(
        SVC(), {"C": hs.Float(0.1, 10, log=True)}, n_trials=3, cv=3, random_state=0))
    outer.fit(X_IRIS, Y_IRIS)
    assert outer.score(X_IRIS, Y_IRIS) > 0.9
    assert outer.steps[-1][1].classes_.tolist() == [0, 1, 2]


def test_clone_copies_samplers_and_pruners_even_with_locks() -> None:
    search = HyperscoutSearchCV(LogisticRegression(max_iter=500), {"C": hs.Float(0.1, 10)},
                                n_trials=3, cv=3, sampler=hs.samplers.TPESampler(),
                                pruner=hs.pruners.MedianPruner(n_startup_trials=1),
                                random_state=0)
    twin = clone(search)
    assert twin.sampler is not search.sampler and twin.pruner is not search.pruner
    assert repr(twin.pruner) == repr(search.pruner)
    twin.fit(X_IRIS, Y_IRIS)
    assert search.pruner is not twin.study_.pruner
    assert len(twin.cv_results_["params"]) == 3


def test_a_fitted_search_pickles_without_its_study() -> None:
    import pickle

    s = HyperscoutSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, n_trials=2,
                           cv=3, random_state=0).fit(X_IRIS, Y_IRIS)
    back = pickle.loads(pickle.dumps(s))
    assert not hasattr(back, "study_") and hasattr(s, "study_")
    np.testing.assert_array_equal(back.predict(X_IRIS), s.predict(X_IRIS))
    assert back.cv_results_["params"] == s.cv_results_["params"]


def test_refit_false_and_callable_refit() -> None:
    grid = {"C": [0.1, 1.0]}
    s = HyperscoutSearchCV(LogisticRegression(max_iter=500), grid, n_trials=None,
                           sampler=GridSampler(grid), refit=False, cv=3).fit(X_IRIS, Y_IRIS)
    assert hasattr(s, "best_params_") and not hasattr(s, "best_estimator_")
    with pytest.raises(AttributeError, match="predict") as info:
        s.predict(X_IRIS)
    assert "refit=False" in str(info.value.__cause__)
    s = HyperscoutSearchCV(LogisticRegression(max_iter=500), grid, n_trials=None, cv=3,
                           sampler=GridSampler(grid), refit=lambda r: 0).fit(X_IRIS, Y_IRIS)
    assert s.best_index_ == 0 and s.best_params_ == s.cv_results_["params"][0]


def test_failed_fits_follow_error_score() -> None:
    grid = {"C": [-1.0, 1.0]}  # C must be > 0: LogisticRegression raises on fit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = HyperscoutSearchCV(LogisticRegression(max_iter=500), grid, n_trials=None, cv=3,
                               sampler=GridSampler(grid)).fit(X_IRIS, Y_IRIS)
    assert any(issubclass(w.category, FitFailedWarning) for w in caught)
    i = s.cv_results_["params"].index({"C": -1.0})
    assert np.isnan(s.cv_results_["mean_test_score"][i]) and s.cv_results_["state"][i] == "FAIL"
    assert s.best_params_ == {"C": 1.0}
    with pytest.raises(ValueError, match="C"):
        HyperscoutSearchCV(LogisticRegression(), {"C": [-1.0]}, n_trials=1, cv=3,
                           error_score="raise").fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_trials": 0}, ValueError, r"n_trials=0\): must be an int >= 1"),
        ({"n_trials": None}, ValueError, "never ends"),
        ({"n_jobs": 0}, ValueError, r"n_jobs=0"),
        ({"timeout": -1}, ValueError, r"timeout=-1"),
        ({"refit": "acc"}, ValueError, "metric name is for several"),
        ({"scoring": ["accuracy"], "refit": True}, ValueError, "refit must name the metric"),
        ({"scoring": "no_such_metric"}, ValueError, "no_such_metric"),
        ({"sampler": "tpe"}, TypeError, "not a hyperscout Sampler"),
        ({"pruner": object()}, TypeError, "not a hyperscout Pruner"),
        ({"error_score": "ignore"}, ValueError, "error_score='ignore'"),
        ({"random_state": -3}, ValueError, "random_state=-3"),
    ],
)
def test_bad_arguments_are_reported_at_fit(kwargs, error, match) -> None:
    s = HyperscoutSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, **{"cv": 2, **kwargs})
    with pytest.raises(error, match=match):
        s.fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    ("space", "error", "match"),
    [
        ({}, ValueError, "non-empty dict"),
        ({"not_a_param": [1, 2]}, ValueError, "not parameters of LogisticRegression"),
        ({"C": []}, ValueError, "empty list"),
        ({"C": "1.0"}, TypeError, "give hs.Float, hs.Int, hs.Categorical or a list"),
    ],
)
def test_bad_search_spaces_name_the_parameter(space, error, match) -> None:
    with pytest.raises(error, match=match):
        HyperscoutSearchCV(LogisticRegression(), space, n_trials=1).fit(X_IRIS, Y_IRIS)


def test_sklearn_estimator_checks() -> None:
    """scikit-learn's conformance suite on a small instance (checks that do not apply to a
    search meta-estimator are listed in EXPECTED_FAILED with the reason)."""
    from sklearn.utils.estimator_checks import check_estimator

    est = HyperscoutSearchCV(LogisticRegression(), {"C": [0.5, 1.0]}, n_trials=2, cv=2,
                             random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(est, expected_failed_checks=EXPECTED_FAILED,
                                  on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:200]) for r in failed]
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) > 30


# check name -> why it does not apply; every check passes today, so none is listed (a search
# delegates to its best estimator and stores only parameters in __init__, as the checks expect)
EXPECTED_FAILED: dict[str, str] = {}
