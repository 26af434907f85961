"""Importance recovers the parameters that matter on synthetic functions with irrelevant ones."""

from __future__ import annotations

import numpy as np
import pytest

import hyperscout as hs
from hyperscout.importance import (
    FanovaImportance,
    ImportanceData,
    PedAnovaImportance,
    collect,
    pairwise_importances,
    param_importances,
)
from hyperscout.importance.fanova import decompose_tree, interval_measure, leaf_boxes
from hyperscout.space import Float
from hyperscout.trial import FrozenTrial, TrialState

pytest.importorskip("sklearn")
hs.set_verbosity("warning")

FAST = FanovaImportance(n_trees=16, seed=0)


def _random_study(objective, n: int = 200, seed: int = 0, directions=None) -> hs.Study:
    kw = {"directions": directions} if directions else {}
    study = hs.create_study(sampler=hs.samplers.RandomSampler(seed=seed), **kw)
    study.optimize(objective, n_trials=n)
    return study


def _five_dims(t: hs.Trial) -> float:
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(5)]
    return 10 * (x[0] - 0.3) ** 2 + 3 * x[1] + 0.01 * x[2]  # x3, x4 irrelevant


@pytest.mark.parametrize("evaluator", [FAST, PedAnovaImportance()], ids=["fanova", "ped"])
def test_recovers_important_parameters(evaluator) -> None:
    imp = param_importances(_random_study(_five_dims), evaluator=evaluator)
    assert set(list(imp)[:2]) == {"x0", "x1"}
    assert sum(imp.values()) == pytest.approx(1.0)
    assert imp["x3"] < 0.1 and imp["x4"] < 0.1


def test_fanova_matches_the_analytic_decomposition() -> None:
    # f = 2 a + b on U[0,1]^3: Var(2a) = 4/12, Var(b) = 1/12 -> shares 0.8 and 0.2
    study = _random_study(lambda t: 2 * t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1)
                          + 0 * t.suggest_float("c", 0, 1), n=400)
    imp = param_importances(study, evaluator=FanovaImportance(n_trees=32, seed=0))
    assert imp["a"] == pytest.approx(0.8, abs=0.07)
    assert imp["b"] == pytest.approx(0.2, abs=0.07)
    assert imp["c"] < 0.02


def test_log_scale_is_used() -> None:
    # the objective depends on log10(lr) linearly: in log space lr dominates a linear x
    def f(t: hs.Trial) -> float:
        lr = t.suggest_float("lr", 1e-6, 1.0, log=True)
        return np.log10(lr) + 0.5 * t.suggest_float("x", 0, 1)

    data = collect(_random_study(f).get_trials(["complete"]), ["minimize"])
    lr_col = data.X[:, data.names.index("lr")]
    assert 0.3 < np.median(lr_col) < 0.7  # log-uniform draws are uniform in the unit column
    imp = param_importances(_random_study(f), evaluator=FAST)
    assert list(imp)[0] == "lr"


def test_conditional_parameters() -> None:
    def f(t: hs.Trial) -> float:
        kind = t.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            return 5 * t.suggest_float("depth", 0, 1)
        return 2.5 + 0.01 * t.suggest_float("width", 0, 1)

    study = _random_study(f, n=300)
    data = collect(study.get_trials(["complete"]), ["minimize"])
    share = dict(zip(data.names, data.inactive_share))
    assert share["kind"] == 0 and 0.3 < share["depth"] < 0.7
    for ev in (FAST, PedAnovaImportance()):
        imp = param_importances(study, evaluator=ev)
        assert list(imp)[0] == "depth", (ev, imp)
        # width's value never matters; only its being active (= kind) carries information
        assert imp["width"] < imp["depth"] / 3


def test_multi_objective_per_objective() -> None:
    def f(t: hs.Trial):
        a, b = t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)
        return a, -b

    study = _random_study(f, directions=["minimize", "maximize"])
    assert list(param_importances(study, evaluator=FAST, objective=0))[0] == "a"
    assert list(param_importances(study, evaluator=FAST, objective=1))[0] == "b"
    by_target = param_importances(study, evaluator=FAST, target=lambda t: t.params["b"])
    assert list(by_target)[0] == "b"


def test_pairwise_finds_the_interaction() -> None:
    def f(t: hs.Trial) -> float:
        a, b, c = (t.suggest_float(n, -1, 1) for n in "abc")
        return a * b + 0.1 * c

    pairs = pairwise_importances(_random_study(f, n=300), evaluator=FAST)
    assert next(iter(pairs)) == ("a", "b")
    assert pairs[("a", "b")] > 0.5
    assert pairs[("a", "c")] < 0.1


def test_decomposition_of_a_hand_made_tree_is_exact() -> None:
    # f = 1 on x0 > 0.5 and x1 > 0.5 else 0: V = 3/16; main effects 1/16 each, pair 1/16
    lo = np.array([[0, 0], [0.5, 0], [0.5, 0.5]], dtype=float)
    hi = np.array([[0.5, 1], [1, 0.5], [1, 1]], dtype=float)
    main, pairs = decompose_tree(lo, hi, np.array([0.0, 0.0, 1.0]), np.zeros(2), [(0, 1)])
    assert main.tolist() == pytest.approx([1 / 3, 1 / 3])
    assert pairs[(0, 1)] == pytest.approx(1 / 3)


def test_leaf_boxes_and_measure() -> None:
    lo, hi, v = leaf_boxes(np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1]),
                           np.array([0, -2, 1, -2, -2]), np.array([0.5, 0, 0.25, 0, 0]),
                           np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 2)
    assert v.tolist() == [2.0, 4.0, 5.0]
    assert lo.tolist() == [[-1, -1], [0.5, -1], [0.5, 0.25]]
    assert interval_measure(np.array([-1.0]), np.array([1.0]), 0.3).tolist() == [1.0]


def test_constant_objective_gives_zero_importances() -> None:
    study = _random_study(lambda t: 0 * t.suggest_float("x", 0, 1) + 1.0, n=20)
    assert param_importances(study, evaluator=FAST) == {"x": 0.0}


def test_errors_name_the_problem() -> None:
    study = hs.create_study()
    with pytest.raises(ValueError, match="at least 2 complete trials"):
        param_importances(study)
    study = _random_study(_five_dims, n=10)
    with pytest.raises(ValueError, match=r"params=\['nope'\]"):
        param_importances(study, params=["nope"])
    with pytest.raises(ValueError, match="objective=2"):
        param_importances(study, objective=2)
    with pytest.raises(ValueError, match="evaluator='shap'"):
        param_importances(study, evaluator="shap")
    with pytest.raises(TypeError, match="expected a hyperscout Study"):
        param_importances(object())
    with pytest.raises(ValueError, match="n_trees=0"):
        FanovaImportance(n_trees=0)
    with pytest.raises(ValueError, match="quantile=1.5"):
        PedAnovaImportance(quantile=1.5)


def test_fanova_is_reproducible_with_a_seed() -> None:
    study = _random_study(_five_dims, n=80)
    assert param_importances(study, evaluator=FAST) == param_importances(study, evaluator=FAST)


def test_nonfinite_values_and_params_subset() -> None:
    rows = [FrozenTrial.build(number=i, trial_id=i, state=TrialState.COMPLETE,
                              params={"x": i / 10, "y": 0.5}, values=[float("inf") if i == 3
                                                                      else i],
                              distributions={"x": Float(0, 1), "y": Float(0, 1)})
            for i in range(10)]
    data = collect(rows, ["minimize"], params=["x"])
    assert data.names == ["x"] and len(data.y) == 9
    assert isinstance(data, ImportanceData)
