"""MLflow: log every finished trial as an MLflow run, nested under one parent run per study.

``MLflowCallback`` goes in ``study.optimize(callbacks=[...])``. For each finished trial it
creates a run named ``trial-<number>`` under the study's parent run (named after the study, and
found again when the study is resumed), with

- params: the trial's parameters;
- metrics: the objective value(s) (``metric_name``, or ``<name>_<i>`` per objective) and every
  intermediate value as the history of ``intermediate_<metric_name>`` at its step;
- tags: ``hyperscout.state``, ``hyperscout.trial_number``, ``hyperscout.study_name``, the trial's
  user attributes as ``user_attr.<key>``, and your own ``tags``;
- status: ``FINISHED`` (complete), ``KILLED`` (pruned), ``FAILED`` (failed); start and end times
  from the trial.

The parent run gets the study's directions as tags and ``best_<metric_name>`` as a metric
history (one point per trial). Where runs go: ``tracking_uri`` if given, else MLflow's own
choice (``MLFLOW_TRACKING_URI``, or MLflow's local default: a ``mlflow.db`` SQLite file in the
working directory). A file store (``file:./mlruns``) works too; MLflow 3 asks for
``MLFLOW_ALLOW_FILE_STORE=true`` for it. The MLflow client is used directly (no global "active
run"), so callbacks from ``n_jobs`` threads do not interfere. Needs
``pip install 'hyperscout[mlflow]'`` (``mlflow-skinny`` is enough).

Example:
    >>> import os, tempfile, pytest
    >>> _ = pytest.importorskip("mlflow")
    >>> import hyperscout as hs
    >>> _ = os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 file store
    >>> uri = "file:" + tempfile.mkdtemp()
    >>> cb = MLflowCallback(tracking_uri=uri, metric_name="loss")
    >>> study = hs.create_study(name="demo", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3, callbacks=[cb])
    >>> state = "tags.`hyperscout.state` = 'COMPLETE'"
    >>> runs = cb.client.search_runs([cb.experiment_id(study)], state)
    >>> len(runs), sorted(runs[0].data.params), "loss" in runs[0].data.metrics
    (3, ['x'], True)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from hyperscout._imports import optional_import
from hyperscout.trial.state import TrialState

__all__ = ["MLflowCallback"]

STUDY_TAG = "hyperscout.study_name"
PARENT_TAG = "hyperscout.parent"
_STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "KILLED",
           TrialState.FAIL: "FAILED"}
_MAX_PARAM = 6000  # MLflow's limit on a param value's length


def _mlflow() -> Any:
    return optional_import("mlflow", extra="mlflow", feature="MLflowCallback")


def _ms(dt: Any) -> int:
    return int(dt.timestamp() * 1000) if dt is not None else int(time.time() * 1000)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


class MLflowCallback:
    """Log each finished trial as an MLflow run under a parent run for the study.

    Args:
        tracking_uri: Where to log (``"sqlite:///mlflow.db"``, ``"file:./mlruns"``,
            ``"http://host:5000"``); ``None``: MLflow's configured or default URI.
        experiment_name: The MLflow experiment (created if missing); default: the study name.
        metric_name: Name of the objective metric (a list, one per objective, for
            multi-objective studies); default ``"value"``.
        tags: Tags added to every trial run.
        log_intermediate: Log intermediate values as ``intermediate_<metric>`` history.

    Example (a full run is in the module docstring):
        >>> import os, tempfile, pytest; _ = pytest.importorskip("mlflow")
        >>> _ = os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 file store
        >>> cb = MLflowCallback("file:" + tempfile.mkdtemp(), metric_name="accuracy")
        >>> cb.metric_names, cb.tracking_uri.startswith("file:")
        (['accuracy'], True)
    """

    def __init__(self, tracking_uri: str | None = None, *, experiment_name: str | None = None,
                 metric_name: str | list[str] = "value", tags: Mapping[str, Any] | None = None,
                 log_intermediate: bool = True) -> None:
        mlflow = _mlflow()
        from mlflow.tracking import MlflowClient

        names = [metric_name] if isinstance(metric_name, str) else list(metric_name)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(
                f"MLflowCallback(metric_name={metric_name!r}): give a metric name, or a list "
                "of names (one per objective)"
            )
        if tags is not None and not isinstance(tags, Mapping):
            raise TypeError(f"MLflowCallback(tags={tags!r}): give a dict of tag -> value")
        self.tracking_uri = tracking_uri or mlflow.get_tracking_uri()
        self.experiment_name = experiment_name
        self.metric_names = names
        self.tags = {str(k): _text(v) for k, v in (tags or {}).items()}
        self.log_intermediate = log_intermediate
        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        self._lock = threading.Lock()
        self._parents: dict[str, str] = {}
        self._experiments: dict[str, str] = {}

    # -- experiment and parent run ----------------------------------------------------------
    def experiment_id(self, study: Any) -> str:
        """The MLflow experiment id this study logs to (created if missing)."""
        name = self.experiment_name or study.name
        with self._lock:
            if name not in self._experiments:
                exp = self.client.get_experiment_by_name(name)
                self._experiments[name] = (exp.experiment_id if exp is not None
                                           else self.client.create_experiment(name))
            return self._experiments[name]

    def parent_run_id(self, study: Any) -> str:
        """The study's parent run (found by its tag when a study is resumed, else created)."""
        exp = self.experiment_id(study)
        with self._lock:
            if study.name in self._parents:
                return self._parents[study.name]
            found = self.client.search_runs(
                [exp], f"tags.`{STUDY_TAG}` = '{_quote(study.name)}' and "
                       f"tags.`{PARENT_TAG}` = 'true'", max_results=1)
            if found:
                run_id = found[0].info.run_id
            else:
                run = self.client.create_run(exp, run_name=study.name, tags={
                    STUDY_TAG: study.name, PARENT_TAG: "true",
                    "hyperscout.directions": ",".join(study.directions),
                })
                run_id = run.info.run_id
            self._parents[study.name] = run_id
            return run_id

    # -- the callback -----------------------------------------------------------------------
    def __call__(self, study: Any, trial: Any) -> None:
        from mlflow.entities import Metric, Param

        parent = self.parent_run_id(study)
        exp = self.experiment_id(study)
        start, end = _ms(trial.datetime_start), _ms(trial.datetime_complete)
        tags = {
            "mlflow.parentRunId": parent,
            STUDY_TAG: study.name,
            "hyperscout.trial_number": str(trial.number),
            "hyperscout.state": trial.state.name,
            **{f"user_attr.{k}": _text(v) for k, v in trial.user_attrs.items()},
            **self.tags,
        }
        run = self.client.create_run(exp, start_time=start, tags=tags,
                                     run_name=f"trial-{trial.number}")
        run_id = run.info.run_id
        params = [Param(k, _text(v)[:_MAX_PARAM]) for k, v in trial.params.items()]
        metrics = []
        if trial.values is not None:
            names = self._names(len(trial.values))
            metrics += [Metric(n, float(v), end, 0) for n, v in zip(names, trial.values)]
        if self.log_intermediate:
            key = f"intermediate_{self.metric_names[0]}"
            metrics += [Metric(key, float(v), end, int(s))
                        for s, v in sorted(trial.intermediate_values.items())]
        if trial.error:
            self.client.set_tag(run_id, "hyperscout.error", trial.error[-5000:])
        for i in range(0, len(params), 100):  # MLflow's batch limits: 100 params,
            self.client.log_batch(run_id, params=params[i:i + 100])
        for i in range(0, len(metrics), 1000):  # 1000 metrics
            self.client.log_batch(run_id, metrics=metrics[i:i + 1000])
        self.client.set_terminated(run_id, _STATUS.get(trial.state, "FAILED"), end_time=end)
        self._log_best(study, parent, trial.number)

    def _names(self, n: int) -> list[str]:
        if len(self.metric_names) == n:
            return self.metric_names
        if len(self.metric_names) == 1:
            return [self.metric_names[0]] if n == 1 else [
                f"{self.metric_names[0]}_{i}" for i in range(n)]
        raise ValueError(
            f"MLflowCallback(metric_name={self.metric_names}): the study has {n} objectives; "
            "give one name per objective"
        )

    def _log_best(self, study: Any, parent: str, step: int) -> None:
        from mlflow.entities import Metric, RunTag

        if len(study.directions) != 1:
            return
        try:
            best = study.best_trial
        except ValueError:  # no complete trial yet
            return
        self.client.log_batch(parent, metrics=[
            Metric(f"best_{self.metric_names[0]}", float(best.values[0]), _ms(None), step)],
            tags=[RunTag("hyperscout.best_trial", str(best.number))])


def _quote(name: str) -> str:
    return name.replace("'", "\\'")
