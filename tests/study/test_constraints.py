"""create_study(constraints=...): computed after the objective, stored in the finish write,
failures reported; multi-objective errors name the right call."""

from __future__ import annotations

import pytest

import hyperscout as hs
from hyperscout.trial import TrialState


class CountingStorage(hs.storage.InMemoryStorage):
    """Counts finish/update writes, to show the constraints travel in the finish write."""

    def __init__(self) -> None:
        super().__init__()
        self.finish_attrs: list[dict] = []
        self.updates = 0

    def finish_trial(self, trial_id, state, values=None, **kw):
        self.finish_attrs.append(dict(kw.get("system_attrs") or {}))
        return super().finish_trial(trial_id, state, values, **kw)

    def update_trial(self, trial_id, **kw):
        self.updates += 1
        return super().update_trial(trial_id, **kw)


def test_constraints_are_stored_in_the_finish_write() -> None:
    store = CountingStorage()
    seen = []

    def constraints(ft):
        seen.append((ft.state, ft.values, dict(ft.params)))
        return [ft.values[0] - 0.5, -1.0]

    study = hs.create_study(storage=store, constraints=constraints, seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    for t, attrs in zip(study.trials, store.finish_attrs):
        assert t.system_attrs["constraints"] == [t.values[0] - 0.5, -1.0]
        assert attrs["constraints"] == t.system_attrs["constraints"]
    # the function saw the finished record: state COMPLETE, values and params set
    assert all(s is TrialState.COMPLETE and v is not None and "x" in p for s, v, p in seen)


def test_constraints_with_ask_and_tell_and_sql(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = hs.create_study(name="c", storage=url, directions=["minimize", "maximize"],
                            constraints=lambda ft: [ft.values[1] - 1.0])
    t = study.ask({"x": hs.Float(0, 1)})
    study.tell(t, [0.5, 2.0])
    t = study.ask({"x": hs.Float(0, 1)})
    study.tell(t, [0.1, 0.5])
    again = hs.load_study("c", url)
    assert [tr.system_attrs["constraints"] for tr in again.trials] == [[1.0], [-0.5]]
    assert [tr.number for tr in again.best_trials] == [1]


def test_failing_or_invalid_constraints_fail_the_trial_with_the_reason() -> None:
    def boom(ft):
        raise RuntimeError("cannot measure size")

    study = hs.create_study(constraints=boom)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.FAIL and "cannot measure size" in t.error
    assert "constraints function raised" in t.error

    for bad, reason in [(float("nan"), "returned nan"), ([float("inf")], "returned inf"),
                        ([], "empty sequence"), (["a"], "returned 'a'"), ([True], "bool")]:
        study = hs.create_study(constraints=lambda ft, bad=bad: bad)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        t = study.trials[0]
        assert t.state is TrialState.FAIL and reason in t.error, (bad, t.error)
        assert "constraints" not in t.system_attrs


def test_constraints_not_called_when_the_objective_fails() -> None:
    calls = []
    study = hs.create_study(constraints=lambda ft: calls.append(ft) or [0.0])
    study.optimize(lambda t: float("nan"), n_trials=2)
    assert calls == [] and all(t.state is TrialState.FAIL for t in study.trials)


def test_constraints_must_be_callable() -> None:
    with pytest.raises(TypeError, match=r"create_study\(constraints=3\)"):
        hs.create_study(constraints=3)


def test_wrong_number_of_values_fails_with_the_reason() -> None:
    study = hs.create_study(directions=["minimize", "minimize"])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    t = study.trials[0]
    assert t.state is TrialState.FAIL
    assert "returned 1 value(s) for a study with 2 objective(s)" in t.error
    t = study.ask()
    assert study.tell(t, [1.0, 2.0, 3.0]).state is TrialState.FAIL


@pytest.mark.parametrize("attr", ["best_trial", "best_value", "best_params", "direction"])
def test_single_objective_api_names_the_multi_objective_call(attr: str) -> None:
    study = hs.create_study(directions=["minimize", "maximize"])
    with pytest.raises(RuntimeError, match="use study.best_trials|use study.directions"):
        getattr(study, attr)
