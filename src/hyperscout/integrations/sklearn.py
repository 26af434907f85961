"""``HyperscoutSearchCV``: a drop-in for scikit-learn's GridSearchCV / RandomizedSearchCV.

Any hyperscout sampler proposes the candidates, any pruner can stop a candidate between CV folds
(after each fold the trial reports the running mean of its test scores), and the result has the
attributes scikit-learn users know: ``best_params_``, ``best_score_``, ``best_estimator_``,
``cv_results_`` (same keys as scikit-learn's, plus ``trial_number`` and ``state``), ``refit``,
multi-metric ``scoring``. Needs ``pip install 'hyperscout[sklearn]'``.

Example:
    >>> import hyperscout as hs
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HyperscoutSearchCV(
    ...     KNeighborsClassifier(),
    ...     {"n_neighbors": hs.Int(1, 30), "weights": ["uniform", "distance"]},
    ...     n_trials=5, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> sorted(search.best_params_), search.best_score_ > 0.9
    (['n_neighbors', 'weights'], True)
    >>> search.predict(X[:2]).tolist()
    [0, 0]
"""

from __future__ import annotations

import copy
import numbers
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from hyperscout._imports import optional_import

_sk = optional_import("sklearn", extra="sklearn", feature="hyperscout.integrations.sklearn")

from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.metrics import check_scoring, get_scorer  # noqa: E402
from sklearn.model_selection import check_cv  # noqa: E402
from sklearn.utils import _safe_indexing, get_tags, indexable  # noqa: E402
from sklearn.utils.metaestimators import _safe_split, available_if  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from hyperscout.exceptions import TrialPruned  # noqa: E402
from hyperscout.pruners.base import NopPruner, Pruner  # noqa: E402
from hyperscout.samplers.base import Sampler  # noqa: E402
from hyperscout.space.distributions import Categorical, Distribution, Float, Int  # noqa: E402

__all__ = ["HyperscoutSearchCV"]

_PRIMITIVES = (str, int, float, bool, type(None))


class _Param:
    """One searched parameter: the distribution the trial suggests from, and for lists of
    objects (estimators, kernels, arrays) the values the suggested index stands for."""

    __slots__ = ("name", "dist", "objects")

    def __init__(self, name: str, dist: Distribution, objects: list[Any] | None) -> None:
        self.name = name
        self.dist = dist
        self.objects = objects

    def suggest(self, trial: Any) -> Any:
        value = trial.suggest(self.name, self.dist)
        return value if self.objects is None else self.objects[value]


def _to_param(name: Any, spec: Any) -> _Param:
    where = f"HyperscoutSearchCV(param_distributions): {name!r}"
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: parameter names must be non-empty strings")
    if isinstance(spec, (Float, Int, Categorical)):
        return _Param(name, spec, None)
    if isinstance(spec, (list, tuple, np.ndarray)):
        values = [v.item() if isinstance(v, np.generic) else v for v in spec]
        if not values:
            raise ValueError(f"{where} maps to an empty list; give at least one value")
        if all(isinstance(v, _PRIMITIVES) for v in values):
            keys = [(type(v), v) for v in values]
            if len(set(keys)) == len(keys):
                return _Param(name, Categorical(values, name=name), None)
        # objects, or repeated values: search over positions in the list
        return _Param(name, Categorical(list(range(len(values))), name=name), values)
    raise TypeError(
        f"{where} maps to {spec!r}; give hs.Float, hs.Int, hs.Categorical or a list of values"
    )


def _copy_policy(policy: Any) -> Any:
    """A fresh copy of a sampler or pruner: a deep copy, else (for policies holding locks or
    other uncopyable state) a new one built from the constructor arguments it stores as
    attributes, else the object itself (policies reset their caches when the history changes,
    so sharing one is safe, only not independent)."""
    if policy is None:
        return None
    try:
        return copy.deepcopy(policy)
    except (TypeError, copy.Error, AttributeError):
        pass
    import inspect

    try:
        sig = inspect.signature(type(policy).__init__)
    except (TypeError, ValueError):
        return policy
    kwargs: dict[str, Any] = {}
    for name, p in list(sig.parameters.items())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if hasattr(policy, name):
            kwargs[name] = getattr(policy, name)
        elif p.default is p.empty:
            return policy
    try:
        return type(policy)(**kwargs)
    except (TypeError, ValueError):
        return policy


def _seed_from(random_state: Any) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(
                f"HyperscoutSearchCV(random_state={random_state}): must be >= 0 or None"
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    raise TypeError(
        f"HyperscoutSearchCV(random_state={random_state!r}): give an int, a numpy "
        "RandomState or Generator, or None"
    )


class _Scorers:
    """Resolved ``scoring``: ``score(est, X, y) -> {metric: value}``."""

    def __init__(self, estimator: Any, scoring: Any) -> None:
        self.multimetric = False
        if scoring is None or isinstance(scoring, str):
            self.scorers: dict[str, Callable] | Callable = {
                "score": check_scoring(estimator, scoring)
            }
        elif callable(scoring):
            self.scorers = scoring  # may return a float or a dict of metrics
        elif isinstance(scoring, Mapping):
            self.multimetric = True
            self.scorers = {str(k): _one_scorer(k, v) for k, v in scoring.items()}
        elif isinstance(scoring, (list, tuple, set, frozenset)):
            self.multimetric = True
            names = list(scoring)
            if not names or not all(isinstance(n, str) for n in names) or len(set(names)) < len(
                names
            ):
                raise ValueError(
                    f"HyperscoutSearchCV(scoring={scoring!r}): a list of metrics must hold "
                    "distinct metric names, e.g. ['accuracy', 'f1_macro']"
                )
            self.scorers = {n: _one_scorer(n, n) for n in names}
        else:
            raise TypeError(
                f"HyperscoutSearchCV(scoring={scoring!r}): give None, a metric name, a "
                "callable, or a list/dict of metrics"
            )
        if isinstance(self.scorers, dict) and self.multimetric and not self.scorers:
            raise ValueError("HyperscoutSearchCV(scoring={}): give at least one metric")

    def __call__(self, est: Any, X: Any, y: Any) -> dict[str, float]:
        if isinstance(self.scorers, dict):
            return {k: float(s(est, X, y)) for k, s in self.scorers.items()}
        out = self.scorers(est, X, y)
        if isinstance(out, Mapping):
            self.multimetric = True
            return {str(k): float(v) for k, v in out.items()}
        return {"score": float(out)}

    def public(self) -> Any:
        """What ``scorer_`` holds: one scorer, or a dict of them."""
        if isinstance(self.scorers, dict) and not self.multimetric:
            return self.scorers["score"]
        return self.scorers


def _one_scorer(name: Any, spec: Any) -> Callable:
    if callable(spec):
        return spec
    try:
        return get_scorer(spec)
    except ValueError as exc:
        raise ValueError(f"HyperscoutSearchCV(scoring): metric {name!r}: {exc}") from None


class _Record:
    """What one trial measured, fold by fold."""

    def __init__(self, number: int, params: dict[str, Any], n_splits: int) -> None:
        self.number = number
        self.params = params
        self.state = "RUNNING"
        self.test: dict[str, np.ndarray] = {}
        self.train: dict[str, np.ndarray] = {}
        self.fit_time = np.full(n_splits, np.nan)
        self.score_time = np.full(n_splits, np.nan)
        self.n_splits = n_splits

    def put(self, where: dict[str, np.ndarray], fold: int, scores: dict[str, float]) -> None:
        for k, v in scores.items():
            where.setdefault(k, np.full(self.n_splits, np.nan))[fold] = v


def _estimator_has(attr: str) -> Callable[[Any], bool]:
    def check(self: HyperscoutSearchCV) -> bool:
        if not self.refit:
            raise AttributeError(
                f"This HyperscoutSearchCV was fitted with refit=False; {attr} is available "
                "only after refitting on the best parameters"
            )
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


class HyperscoutSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Hyperparameter search with cross-validation, driven by a hyperscout sampler and pruner.

    The constructor only stores its arguments (scikit-learn's convention, so ``clone``,
    ``get_params``/``set_params`` and Pipelines work); ``fit`` validates them.

    Parameters
    ----------
    estimator : estimator object
        The estimator (or Pipeline) to tune; it is cloned for every fold.
    param_distributions : dict
        Parameter name (``"C"``, ``"svc__gamma"``) to ``hs.Float``, ``hs.Int``,
        ``hs.Categorical`` or a list of values. Lists of objects (estimators, kernels) are
        searched by position in the list.
    n_trials : int or None, default=10
        How many candidates to evaluate. ``None``: until the sampler is exhausted (a
        ``GridSampler``) or ``timeout`` passes.
    timeout : float or None, default=None
        Stop starting candidates after this many seconds.
    cv : int, CV splitter or iterable, default=None
        As in scikit-learn (``None``: 5-fold, stratified for classifiers).
    scoring : str, callable, list, tuple, dict or None, default=None
        As in scikit-learn. With several metrics, ``refit`` names the one to optimize.
    refit : bool, str or callable, default=True
        Refit the best candidate on all the data (``best_estimator_``). With several metrics a
        metric name: the one optimized and used to pick ``best_*``. A callable picks
        ``best_index_`` from ``cv_results_`` (the search still optimizes the single metric).
    sampler : hyperscout Sampler or None, default=None
        The search strategy (default: hyperscout's automatic sampler). It is copied at ``fit``,
        so fitting twice with the same ``random_state`` gives the same search.
    pruner : hyperscout Pruner or None, default=None
        Stops a candidate between folds; it sees the running mean test score after each fold
        (step = fold index). Pruned candidates are in ``cv_results_`` with NaN for the folds
        they did not run, ranked last.
    n_jobs : int or None, default=None
        Candidates evaluated at once, in threads (``-1``: one per CPU). The folds of one
        candidate run in order, so a pruner can stop it between folds.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the sampler.
    error_score : 'raise' or float, default=np.nan
        Score of a fold whose fit fails (with a ``FitFailedWarning``); ``'raise'`` re-raises.
    return_train_score : bool, default=False
        Also score the training folds (``split<i>_train_<metric>`` keys).
    verbose : int, default=0
        Print one line per finished candidate when > 0.

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        One entry per candidate (trial order), scikit-learn's keys, plus ``trial_number`` and
        ``state`` (``"COMPLETE"``, ``"PRUNED"``, ``"FAIL"``).
    best_estimator_, best_score_, best_params_, best_index_, scorer_, multimetric_,
    n_splits_, refit_time_ : as in scikit-learn's GridSearchCV.
    study_ : hyperscout.Study
        The study that ran the search (its trials hold the per-fold reports). Not pickled:
        a pickled search keeps everything else.

    Examples
    --------
    An exhaustive grid, as GridSearchCV would run it:

    >>> import hyperscout as hs
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> grid = {"n_neighbors": [1, 5, 15]}
    >>> s = HyperscoutSearchCV(KNeighborsClassifier(), grid, n_trials=None, cv=3,
    ...                        sampler=hs.samplers.GridSampler(grid)).fit(X, y)
    >>> sorted(p["n_neighbors"] for p in s.cv_results_["params"]), list(s.cv_results_["state"])
    ([1, 5, 15], ['COMPLETE', 'COMPLETE', 'COMPLETE'])
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, Any],
        *,
        n_trials: int | None = 10,
        timeout: float | None = None,
        cv: Any = None,
        scoring: Any = None,
        refit: bool | str | Callable = True,
        sampler: Sampler | None = None,
        pruner: Pruner | None = None,
        n_jobs: int | None = None,
        random_state: Any = None,
        error_score: str | float = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.sampler = sampler
        self.pruner = pruner
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.verbose = verbose

    # -- scikit-learn plumbing --------------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = copy.deepcopy(sub.classifier_tags)
        tags.regressor_tags = copy.deepcopy(sub.regressor_tags)
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        return tags

    def __sklearn_clone__(self) -> HyperscoutSearchCV:
        # scikit-learn's clone deep-copies non-estimator parameters; a sampler or pruner that
        # holds a lock cannot be deep-copied, so copy those two the way fit does
        params = self.get_params(deep=False)
        for name, value in params.items():
            params[name] = (_copy_policy(value) if name in ("sampler", "pruner")
                            else clone(value, safe=False))
        return type(self)(**params)

    def __getstate__(self) -> dict[str, Any]:
        # the study (locks, live storage) stays behind: a pickled search keeps its results,
        # best estimator and cv_results_, which is what a saved model needs
        state = super().__getstate__() if hasattr(super(), "__getstate__") else dict(
            self.__dict__)
        state = dict(state)
        state.pop("study_", None)
        return state

    # -- validation -------------------------------------------------------------------------
    def _check_params(self) -> tuple[list[_Param], int | None, int]:
        if not hasattr(self.estimator, "fit"):
            raise TypeError(
                f"HyperscoutSearchCV(estimator={self.estimator!r}): not an estimator (no fit)"
            )
        if not isinstance(self.param_distributions, Mapping) or not self.param_distributions:
            raise ValueError(
                f"HyperscoutSearchCV(param_distributions={self.param_distributions!r}): give a "
                "non-empty dict of parameter name -> hs.Float/hs.Int/hs.Categorical or list"
            )
        params = [_to_param(k, v) for k, v in self.param_distributions.items()]
        valid = self.estimator.get_params(deep=True)
        unknown = [p.name for p in params if p.name not in valid]
        if unknown:
            raise ValueError(
                f"HyperscoutSearchCV(param_distributions): {unknown} are not parameters of "
                f"{type(self.estimator).__name__}; valid ones include {sorted(valid)[:12]}"
            )
        n = self.n_trials
        if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral)
                              or n < 1):
            raise ValueError(f"HyperscoutSearchCV(n_trials={n!r}): must be an int >= 1 or None")
        if self.timeout is not None and not (
            isinstance(self.timeout, numbers.Real) and self.timeout > 0
        ):
            raise ValueError(
                f"HyperscoutSearchCV(timeout={self.timeout!r}): must be > 0 seconds or None"
            )
        sampler = self.sampler
        if sampler is not None and not isinstance(sampler, Sampler):
            raise TypeError(f"HyperscoutSearchCV(sampler={sampler!r}): not a hyperscout Sampler")
        if self.pruner is not None and not isinstance(self.pruner, Pruner):
            raise TypeError(
                f"HyperscoutSearchCV(pruner={self.pruner!r}): not a hyperscout Pruner"
            )
        exhaustible = sampler is not None and (
            type(sampler).is_exhausted is not Sampler.is_exhausted
        )
        if n is None and self.timeout is None and not exhaustible:
            raise ValueError(
                "HyperscoutSearchCV(n_trials=None): without a budget the search never ends; "
                "give n_trials, a timeout, or a GridSampler"
            )
        nj = self.n_jobs
        if nj is None:
            n_jobs = 1
        elif nj == -1:
            import os

            n_jobs = os.cpu_count() or 1
        elif isinstance(nj, numbers.Integral) and not isinstance(nj, bool) and nj >= 1:
            n_jobs = int(nj)
        else:
            raise ValueError(f"HyperscoutSearchCV(n_jobs={nj!r}): must be >= 1, -1 or None")
        es = self.error_score
        if not (es == "raise" or (isinstance(es, numbers.Real) and not isinstance(es, bool))):
            raise ValueError(
                f"HyperscoutSearchCV(error_score={es!r}): give 'raise' or a number (np.nan)"
            )
        if not (isinstance(self.refit, (bool, str)) or callable(self.refit)):
            raise TypeError(
                f"HyperscoutSearchCV(refit={self.refit!r}): give a bool, a metric name or a "
                "callable"
            )
        return params, (None if n is None else int(n)), n_jobs

    def _objective_metric(self, multimetric: bool, names: list[str]) -> str:
        """The metric the search maximizes: ``"score"``, or with several metrics ``refit``."""
        if not multimetric:
            if isinstance(self.refit, str):
                raise ValueError(
                    f"HyperscoutSearchCV(refit={self.refit!r}): a metric name is for several "
                    "scoring metrics; with one metric use refit=True or False"
                )
            return "score"
        if not isinstance(self.refit, str) or self.refit not in names:
            raise ValueError(
                f"HyperscoutSearchCV(refit={self.refit!r}): with several scoring metrics "
                f"refit must name the metric to optimize, one of {names}"
            )
        return self.refit

    # -- fit --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> HyperscoutSearchCV:
        """Search, then (with ``refit``) fit the best candidate on all of ``X, y``.

        ``fit_params`` go to the estimator's ``fit`` (sample-aligned arrays such as
        ``sample_weight`` are split with the folds); ``groups`` goes to the CV splitter.
        """
        from hyperscout.study import create_study

        params, n_trials, n_jobs = self._check_params()
        scorers = _Scorers(self.estimator, self.scoring)
        # a callable scoring may return a dict: then the metric is known after the first fold
        names = list(scorers.scorers) if isinstance(scorers.scorers, dict) else None
        known = names is not None
        metric = "score" if names is None else self._objective_metric(scorers.multimetric, names)
        groups = fit_params.pop("groups", None)
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        n_splits = len(splits)
        n_samples = _num_samples(X)
        base = clone(self.estimator)
        sampler = _copy_policy(self.sampler)
        pruner = _copy_policy(self.pruner) if self.pruner is not None else NopPruner()
        study = create_study(direction="maximize", sampler=sampler, pruner=pruner,
                             seed=_seed_from(self.random_state))
        records: list[_Record] = []
        lock = threading.Lock()
        error_score = self.error_score
        holder = {"metric": metric}
        with_train = bool(self.return_train_score)

        def fold_params(idx: np.ndarray) -> dict[str, Any]:
            return {k: _safe_indexing(v, idx) if _is_aligned(v, n_samples) else v
                    for k, v in fit_params.items()}

        def objective(trial: Any) -> float:
            values = {p.name: p.suggest(trial) for p in params}
            rec = _Record(trial.number, values, n_splits)
            with lock:
                records.append(rec)
            try:
                for fold, (train, test) in enumerate(splits):
                    self._run_fold(rec, fold, base, values, X, y, train, test, fold_params(train),
                                   scorers, error_score, with_train)
                    if not known and fold == 0:
                        holder["metric"] = self._objective_metric(scorers.multimetric,
                                                                  list(rec.test))
                    so_far = rec.test[holder["metric"]][: fold + 1]
                    if not np.all(np.isnan(so_far)):
                        trial.report(float(np.nanmean(so_far)), fold)
                        if trial.should_prune():
                            rec.state = "PRUNED"
                            raise TrialPruned()
                scores = rec.test[holder["metric"]]
                value = float(np.mean(scores))
                rec.state = "COMPLETE" if np.isfinite(value) else "FAIL"
            except TrialPruned:
                raise
            except BaseException:
                rec.state = "FAIL"
                raise
            if self.verbose > 0:
                print(f"[HyperscoutSearchCV] trial {trial.number}: {holder['metric']}="
                      f"{value:.6g} {values}")
            return value  # NaN when every fold failed: the study marks the trial failed

        study.optimize(objective, n_trials=n_trials, timeout=self.timeout, n_jobs=n_jobs)
        records.sort(key=lambda r: r.number)
        self.study_ = study
        self.n_splits_ = n_splits
        self.multimetric_ = scorers.multimetric
        self.scorer_ = scorers.public()
        metric = holder["metric"]
        if not records:
            raise ValueError("HyperscoutSearchCV: no candidate was evaluated (check timeout)")
        results = _results(records, params, n_splits, self.return_train_score)
        self.cv_results_ = results
        if not any(r.state == "COMPLETE" for r in records):
            if self.error_score == "raise":  # pragma: no cover - errors were raised already
                raise ValueError("HyperscoutSearchCV: no candidate completed")
            warnings.warn(
                f"HyperscoutSearchCV: none of the {len(records)} candidates completed (every "
                "fit failed, or all were pruned); best_* are from a failed candidate",
                FitFailedWarning, stacklevel=2,
            )
        if self.refit or not self.multimetric_:
            if callable(self.refit):
                best = self.refit(results)
                if not isinstance(best, numbers.Integral):
                    raise TypeError("HyperscoutSearchCV(refit=callable): it must return an int")
                if not 0 <= int(best) < len(records):  # int(): typeshed's Integral has no >=
                    raise IndexError(
                        f"HyperscoutSearchCV(refit=callable): returned {best}, outside "
                        f"0..{len(records) - 1}"
                    )
            else:
                best = int(results[f"rank_test_{metric}"].argmin())
                self.best_score_ = float(results[f"mean_test_{metric}"][best])
            self.best_index_ = int(best)
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            est = clone(base).set_params(**clone(self.best_params_, safe=False))
            t0 = time.perf_counter()
            est.fit(X, y, **fit_params) if y is not None else est.fit(X, **fit_params)
            self.refit_time_ = time.perf_counter() - t0
            self.best_estimator_ = est
            if hasattr(est, "feature_names_in_"):
                self.feature_names_in_ = est.feature_names_in_
        return self

    @staticmethod
    def _run_fold(rec: _Record, fold: int, base: Any, values: dict[str, Any], X: Any, y: Any,
                  train: np.ndarray, test: np.ndarray, fit_kw: dict[str, Any],
                  scorers: _Scorers, error_score: Any, with_train: bool) -> None:
        est = clone(base).set_params(**clone(values, safe=False))
        X_tr, y_tr = _safe_split(est, X, y, train)
        X_te, y_te = _safe_split(est, X, y, test, train)
        t0 = time.perf_counter()
        try:
            est.fit(X_tr, y_tr, **fit_kw) if y_tr is not None else est.fit(X_tr, **fit_kw)
        except Exception as exc:
            rec.fit_time[fold] = time.perf_counter() - t0
            if error_score == "raise":
                raise
            warnings.warn(
                f"HyperscoutSearchCV: fit failed for {values} on fold {fold} "
                f"({type(exc).__name__}: {exc}); its score is error_score={error_score}",
                FitFailedWarning, stacklevel=2,
            )
            names = list(rec.test) or (list(scorers.scorers)
                                       if isinstance(scorers.scorers, dict) else ["score"])
            rec.put(rec.test, fold, dict.fromkeys(names, float(error_score)))
            if with_train:
                rec.put(rec.train, fold, dict.fromkeys(names, float(error_score)))
            return
        rec.fit_time[fold] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rec.put(rec.test, fold, scorers(est, X_te, y_te))
        rec.score_time[fold] = time.perf_counter() - t0
        if with_train:
            rec.put(rec.train, fold, scorers(est, X_tr, y_tr))

    # -- delegation to the best estimator ---------------------------------------------------
    def _best(self) -> Any:
        check_is_fitted(self, "cv_results_")
        if not self.refit:
            raise AttributeError(
                "This HyperscoutSearchCV was fitted with refit=False; refit it with "
                "refit=True to predict"
            )
        return self.best_estimator_

    def score(self, X: Any, y: Any = None) -> float:
        """Score of ``best_estimator_`` with ``scoring`` (the ``refit`` metric if several)."""
        best = self._best()
        scorer = self.scorer_
        if isinstance(scorer, dict):
            scorer = scorer[self.refit] if self.multimetric_ else scorer["score"]
        out = scorer(best, X, y)
        if isinstance(out, Mapping):
            out = out[self.refit]
        return float(out)

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        """``best_estimator_.predict(X)``."""
        return self._best().predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_proba(X)``."""
        return self._best().predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_log_proba(X)``."""
        return self._best().predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """``best_estimator_.decision_function(X)``."""
        return self._best().decision_function(X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """``best_estimator_.score_samples(X)``."""
        return self._best().score_samples(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        """``best_estimator_.transform(X)``."""
        return self._best().transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """``best_estimator_.inverse_transform(X)``."""
        return self._best().inverse_transform(X)

    @property
    def n_features_in_(self) -> int:
        """Number of features seen by ``best_estimator_``."""
        try:
            check_is_fitted(self, "cv_results_")
        except Exception as exc:
            raise AttributeError(f"{type(self).__name__} is not fitted yet") from exc
        return self._best().n_features_in_

    @property
    def classes_(self) -> Any:
        """Class labels of ``best_estimator_`` (classifiers)."""
        return self._best().classes_


def _num_samples(X: Any) -> int:
    from sklearn.utils.validation import _num_samples as n

    return int(n(X))


def _is_aligned(value: Any, n_samples: int) -> bool:
    try:
        return hasattr(value, "__len__") and not isinstance(value, str) and len(
            value) == n_samples
    except TypeError:
        return False


def _rank(means: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return rankdata(-filled, method="min").astype(np.int32)


def _results(records: list[_Record], params: Iterable[_Param], n_splits: int,
             with_train: bool) -> dict[str, Any]:
    n = len(records)
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of an all-NaN row
        for key, arr in (("fit_time", "fit_time"), ("score_time", "score_time")):
            times = np.array([getattr(r, arr) for r in records])
            out[f"mean_{key}"] = np.nanmean(times, axis=1)
            out[f"std_{key}"] = np.nanstd(times, axis=1)
    for p in params:
        col = np.ma.MaskedArray(np.empty(n, dtype=object), mask=True)
        for i, r in enumerate(records):
            if p.name in r.params:
                col[i] = r.params[p.name]
        try:  # numeric columns as numbers, like scikit-learn >= 1.5
            vals = [r.params.get(p.name) for r in records]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                col = np.ma.MaskedArray(np.asarray(vals), mask=col.mask)
        except (TypeError, ValueError):
            pass
        out[f"param_{p.name}"] = col
    out["params"] = [dict(r.params) for r in records]
    metrics: list[str] = []
    for r in records:
        for k in r.test:
            if k not in metrics:
                metrics.append(k)
    sides = [("test", True)] + ([("train", False)] if with_train else [])
    for side, ranked in sides:
        for m in metrics:
            mat = np.full((n, n_splits), np.nan)
            for i, r in enumerate(records):
                src = r.test if side == "test" else r.train
                if m in src:
                    mat[i] = src[m]
            for s in range(n_splits):
                out[f"split{s}_{side}_{m}"] = mat[:, s]
            means = mat.mean(axis=1)
            out[f"mean_{side}_{m}"] = means
            out[f"std_{side}_{m}"] = mat.std(axis=1)
            if ranked:
                out[f"rank_{side}_{m}"] = _rank(means)
    out["trial_number"] = np.array([r.number for r in records])
    out["state"] = np.array([r.state for r in records], dtype=object)
    return out
