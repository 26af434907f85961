"""XGBoost: a callback that reports the validation metric every boosting round and prunes.

``XGBoostPruningCallback(trial, dataset=None, metric=None)`` is an
``xgboost.callback.TrainingCallback``: pass it in ``callbacks=`` of ``xgboost.train``,
``xgboost.cv`` (the mean over folds is reported) or the scikit-learn wrappers
(``XGBClassifier(callbacks=[...])``). After each round it reports ``evals_log[dataset][metric]``
at step = round, and raises :class:`~hyperscout.TrialPruned` when the study's pruner says so,
which ends training and marks the trial pruned. By default it watches the last evaluation set and
its last metric (the one XGBoost's own early stopping watches). The study's direction must match
the metric (``"minimize"`` for logloss, rmse; ``"maximize"`` for auc). Needs
``pip install 'hyperscout[xgboost]'``; XGBoost is imported when the class is first used.

Example:
    >>> import pytest; xgb = pytest.importorskip("xgboost")
    >>> import numpy as np, hyperscout as hs
    >>> from hyperscout.integrations.xgboost import XGBoostPruningCallback
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> dtrain = xgb.DMatrix(X[:150], y[:150]); dvalid = xgb.DMatrix(X[150:], y[150:])
    >>> def objective(trial):
    ...     params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
    ...               "eta": trial.suggest_float("eta", 0.05, 0.5, log=True)}
    ...     booster = xgb.train(params, dtrain, 10, evals=[(dvalid, "valid")], verbose_eval=False,
    ...                         callbacks=[XGBoostPruningCallback(trial)])
    ...     return float(booster.eval(dvalid).split(":")[1])
    >>> study = hs.create_study(seed=0)
    >>> study.optimize(objective, n_trials=2)
    >>> sorted(study.trials[0].intermediate_values)[-1]
    9
"""

from __future__ import annotations

from typing import Any

from hyperscout._imports import optional_import
from hyperscout.integrations._common import check_trial, lazy_module_getattr, report_and_prune

__all__ = ["XGBoostPruningCallback"]  # noqa: F822 (built on first use by __getattr__)


def pick_value(evals_log: Any, dataset: str | None, metric: str | None) -> tuple[str, str, float]:
    """``(dataset, metric, latest value)`` from XGBoost's ``evals_log`` (for ``xgboost.cv`` the
    entries are ``(mean, std)`` pairs: the mean is taken)."""
    if not evals_log:
        raise ValueError(
            "XGBoostPruningCallback: XGBoost evaluated nothing; pass evals=[(dvalid, 'valid')] "
            "to xgboost.train (or eval_set=[...] to the scikit-learn wrapper)"
        )
    names = list(evals_log)
    ds = names[-1] if dataset is None else dataset
    if ds not in evals_log:
        raise ValueError(
            f"XGBoostPruningCallback(dataset={dataset!r}): XGBoost evaluated {names}; "
            "pass one of them"
        )
    metrics = list(evals_log[ds])
    m = metrics[-1] if metric is None else metric
    if m not in evals_log[ds]:
        raise ValueError(
            f"XGBoostPruningCallback(metric={metric!r}): dataset {ds!r} has metrics {metrics}; "
            "pass one of them (or set eval_metric in the XGBoost parameters)"
        )
    last = evals_log[ds][m][-1]
    value = last[0] if isinstance(last, (tuple, list)) else last
    return ds, m, float(value)


def _build() -> type:
    xgb = optional_import("xgboost", extra="xgboost", feature="XGBoostPruningCallback")

    # a base class from a runtime-imported module: mypy needs it as a name of type Any
    training_callback: Any = xgb.callback.TrainingCallback

    class XGBoostPruningCallback(training_callback):
        """Report ``evals_log[dataset][metric]`` after every boosting round; prune.

        Args:
            trial: The trial the objective received.
            dataset: Name of the evaluation set (``"valid"``, ``"validation_0"``); default:
                the last one.
            metric: Metric name (``"logloss"``, ``"auc"``); default: the set's last metric.
            report_every: Report (and ask the pruner) every this many rounds (default 1).
        """

        def __init__(self, trial: Any, dataset: str | None = None, metric: str | None = None,
                     *, report_every: int = 1) -> None:
            check_trial(trial, "XGBoostPruningCallback")
            if isinstance(report_every, bool) or not isinstance(report_every, int) or (
                    report_every < 1):
                raise ValueError(
                    f"XGBoostPruningCallback(report_every={report_every!r}): must be an int >= 1"
                )
            super().__init__()
            self.trial = trial
            self.dataset = dataset
            self.metric = metric
            self.report_every = report_every

        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            if (epoch + 1) % self.report_every:
                return False
            _, _, value = pick_value(evals_log, self.dataset, self.metric)
            report_and_prune(self.trial, value, epoch, "boosting round")
            return False

    return XGBoostPruningCallback


__getattr__ = lazy_module_getattr(__name__, {"XGBoostPruningCallback": _build})
