"""Benchmark tasks: scikit-learn models tuned by 3-fold CV, and synthetic functions.

Every task has a ``name``, a ``space`` (see ``search_space.py``: it translates to hyperscout,
Optuna, Hyperopt, HEBO and ConfigSpace), an ``evaluate(params) -> loss`` to minimise and, for
synthetic functions, the known ``optimum``.

scikit-learn tasks (``<model>-<dataset>``), Bayesmark-style but with the search spaces a
practitioner writes (log-scale C / gamma / alpha / learning rates, integer sizes, categoricals):

- loss = 1 - mean 3-fold CV accuracy (classification, stratified folds), or mean 3-fold CV MSE
  divided by the variance of y (regression; capped at ``REG_LOSS_CAP``, so a diverged fit
  costs a bounded amount);
- folds and model seeds are fixed, so a configuration always gets the same loss;
- inputs are standardised for the scale-sensitive models (SVM, kNN, MLP, linear), the target
  too for regression with SVR and MLPs;
- digits is subsampled to 600 rows (stratified, fixed) so an evaluation stays cheap.

Synthetic tasks: Branin (2d), Hartmann-6, Ackley-5d on [-5, 10]^5 (optimum 0 at the origin, off
the box centre so no centre-biased start finds it for free), Levy-5d, Rosenbrock-4d and a mixed
int/categorical function (``mixed-6d``) whose optimum 0 is at a documented point.

    >>> from tasks import get_task
    >>> t = get_task("branin")
    >>> round(t.evaluate({"x1": 3.141592653589793, "x2": 2.275}), 6)
    0.397887
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from search_space import Space, choice, integer, real

REG_LOSS_CAP = 10.0  # normalised MSE of a diverged regression fit (predicting the mean gives 1)
CV_FOLDS = 3
DIGITS_ROWS = 600


@dataclass(frozen=True)
class Task:
    """A benchmark problem: minimise ``evaluate(params)`` over ``space``."""

    name: str
    space: Space
    evaluate: Callable[[Mapping[str, Any]], float] = field(repr=False)
    kind: str  # "sklearn" or "synthetic"
    optimum: float | None = None  # known global minimum (synthetic tasks)
    optimum_params: Mapping[str, Any] | None = field(default=None, repr=False)


# =============================================================================================
# scikit-learn tasks
# =============================================================================================
@cache
def load_data(name: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(X, y, is_classification)`` for a dataset scikit-learn ships (cached per process)."""
    from sklearn import datasets

    loaders = {
        "breast": (datasets.load_breast_cancer, True),
        "wine": (datasets.load_wine, True),
        "digits": (datasets.load_digits, True),
        "iris": (datasets.load_iris, True),
        "diabetes": (datasets.load_diabetes, False),
    }
    if name not in loaders:
        raise ValueError(f"dataset {name!r} is unknown; use one of {sorted(loaders)}")
    loader, is_clf = loaders[name]
    X, y = loader(return_X_y=True)
    if name == "digits":
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(X, y, train_size=DIGITS_ROWS, stratify=y, random_state=0)
    return np.asarray(X, dtype=float), np.asarray(y), is_clf


def _cv_loss(model: Any, dataset: str) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    X, y, is_clf = load_data(dataset)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        if is_clf:
            cv = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0)
            try:
                acc = cross_val_score(model, X, y, cv=cv, scoring="accuracy",
                                      error_score="raise")
            except (ValueError, FloatingPointError, ArithmeticError):
                return 1.0  # a diverged fit (e.g. MLP-SGD with a huge step) classifies nothing
            loss = 1.0 - float(np.mean(acc))
            return loss if math.isfinite(loss) else 1.0
        cv = KFold(CV_FOLDS, shuffle=True, random_state=0)
        try:
            mse = -cross_val_score(model, X, y, cv=cv, scoring="neg_mean_squared_error",
                                   error_score="raise")
        except (ValueError, FloatingPointError, ArithmeticError):
            return REG_LOSS_CAP
        loss = float(np.mean(mse)) / float(np.var(y))
        return min(loss, REG_LOSS_CAP) if math.isfinite(loss) else REG_LOSS_CAP


def _scaled(model: Any, *, scale_y: bool = False) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), model)
    if scale_y:
        return TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())
    return pipe


# -- model builders: (space, build(params, is_classification) -> estimator) ----------------------
def _dt() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        integer("max_depth", 1, 20),
        integer("min_samples_split", 2, 64, log=True),
        integer("min_samples_leaf", 1, 32, log=True),
        real("max_features", 0.05, 1.0),
        real("ccp_alpha", 1e-5, 1e-1, log=True),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = DecisionTreeClassifier if clf else DecisionTreeRegressor
        # ccp_alpha is in units of impurity; regression impurity is MSE of the raw target,
        # so scale it by var(y) there (the builder does not see y: use the dataset's var)
        return cls(max_depth=p["max_depth"], min_samples_split=p["min_samples_split"],
                   min_samples_leaf=p["min_samples_leaf"], max_features=p["max_features"],
                   ccp_alpha=p["ccp_alpha"] * (1.0 if clf else _DIABETES_VAR), random_state=0)

    return space, build


def _rf() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        integer("n_estimators", 4, 32, log=True),
        integer("max_depth", 2, 20),
        integer("min_samples_split", 2, 32, log=True),
        integer("min_samples_leaf", 1, 16, log=True),
        real("max_features", 0.05, 1.0),
        choice("bootstrap", (True, False)),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        cls = RandomForestClassifier if clf else RandomForestRegressor
        return cls(n_estimators=p["n_estimators"], max_depth=p["max_depth"],
                   min_samples_split=p["min_samples_split"],
                   min_samples_leaf=p["min_samples_leaf"], max_features=p["max_features"],
                   bootstrap=p["bootstrap"], n_jobs=1, random_state=0)

    return space, build


def _gb() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        real("learning_rate", 0.01, 1.0, log=True),
        integer("max_iter", 10, 100, log=True),
        integer("max_leaf_nodes", 4, 64, log=True),
        integer("min_samples_leaf", 2, 64, log=True),
        real("l2_regularization", 1e-6, 10.0, log=True),
        real("max_features", 0.1, 1.0),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
        return cls(learning_rate=p["learning_rate"], max_iter=p["max_iter"],
                   max_leaf_nodes=p["max_leaf_nodes"], min_samples_leaf=p["min_samples_leaf"],
                   l2_regularization=p["l2_regularization"], max_features=p["max_features"],
                   early_stopping=False, random_state=0)

    return space, build


MLP_MAX_ITER = 20


def _mlp_adam() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        integer("hidden", 16, 128, log=True),
        integer("n_layers", 1, 2),
        choice("activation", ("relu", "tanh")),
        real("alpha", 1e-6, 1e-1, log=True),
        real("learning_rate_init", 1e-4, 1e-1, log=True),
        integer("batch_size", 32, 256, log=True),
        real("beta_1", 0.5, 0.99),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        cls = MLPClassifier if clf else MLPRegressor
        m = cls(hidden_layer_sizes=(p["hidden"],) * p["n_layers"], activation=p["activation"],
                solver="adam", alpha=p["alpha"], learning_rate_init=p["learning_rate_init"],
                batch_size=p["batch_size"], beta_1=p["beta_1"], max_iter=MLP_MAX_ITER,
                random_state=0)
        return _scaled(m, scale_y=not clf)

    return space, build


def _mlp_sgd() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        integer("hidden", 16, 128, log=True),
        real("alpha", 1e-6, 1e-1, log=True),
        real("learning_rate_init", 1e-4, 0.5, log=True),
        real("momentum", 0.0, 0.99),
        choice("nesterovs_momentum", (True, False)),
        choice("learning_rate", ("constant", "invscaling", "adaptive")),
        integer("batch_size", 32, 256, log=True),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        cls = MLPClassifier if clf else MLPRegressor
        m = cls(hidden_layer_sizes=(p["hidden"],), solver="sgd", alpha=p["alpha"],
                learning_rate_init=p["learning_rate_init"], momentum=p["momentum"],
                nesterovs_momentum=p["nesterovs_momentum"], learning_rate=p["learning_rate"],
                batch_size=p["batch_size"], max_iter=MLP_MAX_ITER, random_state=0)
        return _scaled(m, scale_y=not clf)

    return space, build


def _svm() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        real("C", 1e-3, 1e3, log=True),
        real("gamma", 1e-4, 10.0, log=True),
        choice("kernel", ("rbf", "sigmoid", "poly")),
        real("tol", 1e-5, 1e-1, log=True),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.svm import SVC, SVR

        kw = dict(C=p["C"], gamma=p["gamma"], kernel=p["kernel"], tol=p["tol"],
                  max_iter=20000)
        if clf:
            return _scaled(SVC(**kw))
        return _scaled(SVR(epsilon=0.1, **kw), scale_y=True)

    return space, build


def _knn() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        integer("n_neighbors", 1, 64, log=True),
        choice("weights", ("uniform", "distance")),
        choice("p", (1, 2)),
        choice("scaler", ("standard", "minmax", "none")),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import MinMaxScaler, StandardScaler

        cls = KNeighborsClassifier if clf else KNeighborsRegressor
        m = cls(n_neighbors=p["n_neighbors"], weights=p["weights"], p=p["p"])
        if p["scaler"] == "none":
            return m
        return make_pipeline(StandardScaler() if p["scaler"] == "standard" else MinMaxScaler(), m)

    return space, build


def _logreg() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        real("C", 1e-4, 1e4, log=True),
        real("l1_ratio", 0.0, 1.0),
        choice("class_weight", (None, "balanced")),
        choice("fit_intercept", (True, False)),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.linear_model import LogisticRegression

        return _scaled(LogisticRegression(C=p["C"], l1_ratio=p["l1_ratio"], solver="saga",
                                          class_weight=p["class_weight"],
                                          fit_intercept=p["fit_intercept"], max_iter=100,
                                          random_state=0))

    return space, build


def _lasso() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        real("alpha", 1e-5, 10.0, log=True),
        choice("fit_intercept", (True, False)),
        choice("selection", ("cyclic", "random")),
        real("tol", 1e-6, 1e-1, log=True),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.linear_model import Lasso

        return _scaled(Lasso(alpha=p["alpha"], fit_intercept=p["fit_intercept"],
                             selection=p["selection"], tol=p["tol"], max_iter=2000,
                             random_state=0), scale_y=True)

    return space, build


def _ridge() -> tuple[Space, Callable[[Mapping[str, Any], bool], Any]]:
    space = (
        real("alpha", 1e-4, 1e4, log=True),
        integer("degree", 1, 3),
        choice("interaction_only", (True, False)),
        choice("fit_intercept", (True, False)),
    )

    def build(p: Mapping[str, Any], clf: bool) -> Any:
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import PolynomialFeatures, StandardScaler

        return make_pipeline(
            PolynomialFeatures(p["degree"], interaction_only=p["interaction_only"],
                               include_bias=False),
            StandardScaler(), Ridge(alpha=p["alpha"], fit_intercept=p["fit_intercept"]))

    return space, build


_DIABETES_VAR = 5929.88  # var(y) of load_diabetes, to put the tree's ccp_alpha on one scale

MODELS: dict[str, Callable[[], tuple[Space, Callable[[Mapping[str, Any], bool], Any]]]] = {
    "dt": _dt, "rf": _rf, "gb": _gb, "mlp-adam": _mlp_adam, "mlp-sgd": _mlp_sgd,
    "svm": _svm, "knn": _knn, "logreg": _logreg, "lasso": _lasso, "ridge": _ridge,
}

# Classifiers on breast cancer, digits (600 rows), wine or iris, regressors on diabetes. Pairs
# where random search finds the best accuracy in a few % of its draws (gb-wine, svm-wine,
# knn-digits, logreg-iris, logreg-wine: wine and iris have 178 and 150 rows, so accuracy moves in
# steps of ~0.6%) were swapped for harder ones: on them every optimiser ties and the normalised
# score divides by ~0. GradientBoosting on digits (10 trees per iteration) is too slow here.
SKLEARN_TASKS: tuple[tuple[str, str], ...] = (
    ("dt", "breast"), ("dt", "wine"),
    ("rf", "breast"), ("rf", "digits"),
    ("gb", "breast"),
    ("mlp-adam", "digits"), ("mlp-adam", "wine"),
    ("mlp-sgd", "breast"), ("mlp-sgd", "digits"),
    ("svm", "digits"), ("svm", "breast"),
    ("knn", "breast"), ("knn", "iris"),
    ("logreg", "breast"), ("logreg", "digits"),
    ("dt", "diabetes"), ("rf", "diabetes"), ("gb", "diabetes"), ("mlp-adam", "diabetes"),
    ("mlp-sgd", "diabetes"), ("svm", "diabetes"), ("knn", "diabetes"), ("lasso", "diabetes"),
    ("ridge", "diabetes"),
)


def sklearn_task(model: str, dataset: str) -> Task:
    """The task ``<model>-<dataset>``: 3-fold CV loss of ``model`` on ``dataset``."""
    if model not in MODELS:
        raise ValueError(f"model {model!r} is unknown; use one of {sorted(MODELS)}")
    space, build = MODELS[model]()
    is_clf = dataset != "diabetes"

    def evaluate(params: Mapping[str, Any]) -> float:
        return _cv_loss(build(params, is_clf), dataset)

    return Task(f"{model}-{dataset}", space, evaluate, "sklearn")


# =============================================================================================
# synthetic functions
# =============================================================================================
def branin(x1: float, x2: float) -> float:
    """Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at (-pi, 12.275), (pi, 2.275), ..."""
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]], dtype=float)
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]],
                        dtype=float)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN6_OPT = -3.322368011391339
HARTMANN6_ARGMIN = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)


def hartmann6(x: np.ndarray) -> float:
    """Hartmann-6 on [0, 1]^6; minimum -3.32237."""
    inner = np.sum(_H6_A * (np.asarray(x)[None, :] - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def ackley(x: np.ndarray) -> float:
    """Ackley; minimum 0 at the origin."""
    x = np.asarray(x, dtype=float)
    d = x.size
    return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(x ** 2) / d))
                 - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e)


def levy(x: np.ndarray) -> float:
    """Levy; minimum 0 at (1, ..., 1)."""
    w = 1 + (np.asarray(x, dtype=float) - 1) / 4
    term1 = math.sin(math.pi * w[0]) ** 2
    wi = w[:-1]
    mid = np.sum((wi - 1) ** 2 * (1 + 10 * np.sin(math.pi * wi + 1) ** 2))
    last = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(term1 + mid + last)


def rosenbrock(x: np.ndarray) -> float:
    """Rosenbrock; minimum 0 at (1, ..., 1)."""
    x = np.asarray(x, dtype=float)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


MIXED_OFFSET = {"a": -2.0, "b": 1.5, "c": 3.0, "d": 0.0, "e": -4.0, "f": 4.5}
MIXED_CAT_COST = {"a": 0.3, "b": 0.0, "c": 0.7, "d": 1.2, "e": 0.5, "f": 0.9}
MIXED_ACT_COST = {"relu": 0.0, "tanh": 0.4, "sigmoid": 1.0}
MIXED_ARGMIN = {"x": 1.5, "lr": 0.01, "n": 7, "k": 8, "kind": "b", "act": "relu"}


def mixed(p: Mapping[str, Any]) -> float:
    """A mixed function: float, log-float, int, log-int and two categoricals; minimum 0.

    ``f = (x - o[kind])^2 / 4 + 0.3 (1 - cos(2 pi (x - o[kind])))     # kind moves x's optimum
          + (log10 lr + 2)^2 (1 + |x - o[kind]| / 4)                  # lr interacts with x
          + ((n - 7) / 4)^2 + (log2 k - 3)^2 / 2                      # ints
          + c[kind] + c[act]``

    Every term is >= 0 and all vanish only at x = 1.5, lr = 0.01, n = 7, k = 8, kind = "b",
    act = "relu" (``MIXED_ARGMIN``).
    """
    dx = float(p["x"]) - MIXED_OFFSET[p["kind"]]
    return (dx * dx / 4 + 0.3 * (1 - math.cos(2 * math.pi * dx))
            + (math.log10(p["lr"]) + 2) ** 2 * (1 + abs(dx) / 4)
            + ((p["n"] - 7) / 4) ** 2 + (math.log2(p["k"]) - 3) ** 2 / 2
            + MIXED_CAT_COST[p["kind"]] + MIXED_ACT_COST[p["act"]])


def _vector_task(name: str, f: Callable[[np.ndarray], float], low: float, high: float,
                 dim: int, optimum: float, argmin: tuple[float, ...]) -> Task:
    space = tuple(real(f"x{i}", low, high) for i in range(dim))
    names = [p.name for p in space]

    def evaluate(params: Mapping[str, Any]) -> float:
        return f(np.array([params[n] for n in names], dtype=float))

    return Task(name, space, evaluate, "synthetic", optimum, dict(zip(names, argmin)))


def synthetic_tasks() -> list[Task]:
    """Branin, Hartmann-6, Ackley-5d, Levy-5d, Rosenbrock-4d and the mixed function."""
    br = Task("branin", (real("x1", -5, 10), real("x2", 0, 15)),
              lambda p: branin(p["x1"], p["x2"]), "synthetic", 0.39788735772973816,
              {"x1": math.pi, "x2": 2.275})
    mx = Task("mixed-6d", (real("x", -5, 5), real("lr", 1e-4, 1.0, log=True),
                           integer("n", 1, 20), integer("k", 1, 128, log=True),
                           choice("kind", tuple(MIXED_OFFSET)),
                           choice("act", tuple(MIXED_ACT_COST))),
              mixed, "synthetic", 0.0, MIXED_ARGMIN)
    return [
        br,
        _vector_task("hartmann6", hartmann6, 0.0, 1.0, 6, HARTMANN6_OPT, HARTMANN6_ARGMIN),
        _vector_task("ackley5", ackley, -5.0, 10.0, 5, 0.0, (0.0,) * 5),
        _vector_task("levy5", levy, -10.0, 10.0, 5, 0.0, (1.0,) * 5),
        _vector_task("rosenbrock4", rosenbrock, -5.0, 10.0, 4, 0.0, (1.0,) * 4),
        mx,
    ]


# =============================================================================================
# registry
# =============================================================================================
def all_tasks() -> dict[str, Task]:
    """Every task by name: the synthetic ones first, then the scikit-learn ones."""
    tasks = {t.name: t for t in synthetic_tasks()}
    for model, dataset in SKLEARN_TASKS:
        t = sklearn_task(model, dataset)
        tasks[t.name] = t
    return tasks


TASK_GROUPS = {"synthetic": lambda: [t.name for t in synthetic_tasks()],
               "sklearn": lambda: [f"{m}-{d}" for m, d in SKLEARN_TASKS]}


def get_task(name: str) -> Task:
    """A task by name (``ValueError`` listing the names if unknown)."""
    tasks = all_tasks()
    if name not in tasks:
        raise ValueError(f"task {name!r} is unknown; use one of {sorted(tasks)}")
    return tasks[name]


def resolve_task_names(names: list[str]) -> list[str]:
    """Expand ``all``, ``synthetic`` and ``sklearn`` and check every name."""
    known = all_tasks()
    out: list[str] = []
    for n in names:
        if n == "all":
            expanded = list(known)
        elif n in TASK_GROUPS:
            expanded = TASK_GROUPS[n]()
        elif n in known:
            expanded = [n]
        else:
            raise ValueError(f"--tasks {n!r} is unknown; use all, synthetic, sklearn or one of "
                             f"{sorted(known)}")
        out.extend(x for x in expanded if x not in out)
    return out
