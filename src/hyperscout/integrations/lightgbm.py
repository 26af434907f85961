"""LightGBM: a callback that reports the validation metric every boosting round and prunes.

``LightGBMPruningCallback(trial, dataset=None, metric=None)`` goes in ``callbacks=`` of
``lightgbm.train``, ``lightgbm.cv`` (the mean over folds is reported) or the scikit-learn
wrappers' ``fit``. After each round it reports the metric at step = round and raises
:class:`~hyperscout.TrialPruned` when the study's pruner says so, which ends training and marks
the trial pruned. By default it watches the first validation set that is not the training set,
and its first metric (what LightGBM's early stopping watches with ``first_metric_only``). It
checks that the study's direction agrees with the metric (LightGBM knows whether higher is
better). Needs ``pip install 'hyperscout[lightgbm]'``; LightGBM is imported when a callback is
created, not with this module.

Example:
    >>> import pytest; lgb = pytest.importorskip("lightgbm")
    >>> import numpy as np, hyperscout as hs
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> def objective(trial):
    ...     params = {"objective": "binary", "metric": "binary_logloss", "verbose": -1,
    ...               "num_threads": 1, "num_leaves": trial.suggest_int("num_leaves", 2, 8)}
    ...     train, valid = lgb.Dataset(X[:150], y[:150]), lgb.Dataset(X[150:], y[150:])
    ...     booster = lgb.train(params, train, 10, valid_sets=[valid], valid_names=["valid"],
    ...                         callbacks=[LightGBMPruningCallback(trial)])
    ...     return booster.best_score["valid"]["binary_logloss"]
    >>> study = hs.create_study(seed=0)
    >>> study.optimize(objective, n_trials=2)
    >>> sorted(study.trials[0].intermediate_values)[-1]
    9
"""

from __future__ import annotations

from typing import Any

from hyperscout._imports import optional_import
from hyperscout.integrations._common import check_trial, report_and_prune

__all__ = ["LightGBMPruningCallback"]


class LightGBMPruningCallback:
    """Report a LightGBM validation metric after every boosting round; prune.

    Args:
        trial: The trial the objective received.
        dataset: A ``valid_names`` entry (``"valid_0"`` by default in LightGBM); default: the
            first evaluated set that is not the training data (for ``lgb.cv``: ``"valid"``).
        metric: A metric name (``"binary_logloss"``, ``"auc"``); default: the first one.
        report_every: Report (and ask the pruner) every this many rounds (default 1).

    Example:
        >>> import pytest; _ = pytest.importorskip("lightgbm")
        >>> import hyperscout as hs
        >>> cb = LightGBMPruningCallback(hs.create_study().ask(), metric="binary_logloss")
        >>> cb.order, cb.before_iteration
        (30, False)
    """

    def __init__(self, trial: Any, dataset: str | None = None, metric: str | None = None,
                 *, report_every: int = 1) -> None:
        check_trial(trial, "LightGBMPruningCallback")
        optional_import("lightgbm", extra="lightgbm", feature="LightGBMPruningCallback")
        if isinstance(report_every, bool) or not isinstance(report_every, int) or (
                report_every < 1):
            raise ValueError(
                f"LightGBMPruningCallback(report_every={report_every!r}): must be an int >= 1"
            )
        # instance attributes: LightGBM reads them from the instance __dict__. Order 30 runs
        # after its own log_evaluation and record_evaluation (10 and 20), so their logs have
        # the round a pruned trial stopped at.
        self.order = 30
        self.before_iteration = False
        self.trial = trial
        self.dataset = dataset
        self.metric = metric
        self.report_every = report_every
        self._checked = False

    def _pick(self, results: list[Any]) -> tuple[str, str, float, bool]:
        if not results:
            raise ValueError(
                "LightGBMPruningCallback: LightGBM evaluated nothing; pass valid_sets=[...] to "
                "lightgbm.train (or eval_set=[...] to the scikit-learn wrapper's fit)"
            )
        rows = [(str(r[0]), str(r[1]), float(r[2]), bool(r[3])) for r in results]
        sets = list(dict.fromkeys(r[0] for r in rows))
        if self.dataset is None:
            ds = next((s for s in sets if s != "training"), sets[0])
        elif self.dataset in sets:
            ds = self.dataset
        else:
            raise ValueError(
                f"LightGBMPruningCallback(dataset={self.dataset!r}): LightGBM evaluated "
                f"{sets}; pass one of them"
            )
        mine = [r for r in rows if r[0] == ds]
        if self.metric is None:
            return mine[0]
        for r in mine:
            if r[1] == self.metric:
                return r
        raise ValueError(
            f"LightGBMPruningCallback(metric={self.metric!r}): dataset {ds!r} has metrics "
            f"{[r[1] for r in mine]}; pass one of them (or set 'metric' in the parameters)"
        )

    def __call__(self, env: Any) -> None:
        step = env.iteration - env.begin_iteration
        if (step + 1) % self.report_every:
            return
        ds, metric, value, higher_better = self._pick(env.evaluation_result_list or [])
        if not self._checked:
            direction = getattr(self.trial.study, "direction", None)
            want = "maximize" if higher_better else "minimize"
            if direction is not None and direction != want:
                raise ValueError(
                    f"LightGBMPruningCallback: {ds} {metric} is better when "
                    f"{'higher' if higher_better else 'lower'}, but the study is to "
                    f"{direction}; create the study with direction={want!r}"
                )
            self._checked = True
        report_and_prune(self.trial, value, env.iteration, "boosting round")
