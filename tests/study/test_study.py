"""Study: create/load, directions, best_*, ask/tell, optimize and its failure paths."""

from __future__ import annotations

import dataclasses
import math
import threading
import time

import pytest

import hyperscout as hs
from hyperscout.exceptions import DuplicatedStudyError, StaleTrialError, StudyNotFoundError
from hyperscout.pruners.base import Decision, Pruner
from hyperscout.samplers import RandomSampler
from hyperscout.storage import InMemoryStorage
from hyperscout.trial import TrialState

S = TrialState


@pytest.fixture(autouse=True)
def _quiet() -> None:
    hs.set_verbosity("warning")
    yield
    hs.set_verbosity("info")


def _study(**kwargs) -> hs.Study:
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    return hs.create_study(**kwargs)


def _quadratic(trial: hs.Trial) -> float:
    return (trial.suggest_float("x", -10, 10) - 2) ** 2


# -- create / load -----------------------------------------------------------------------------
def test_create_and_load_in_memory() -> None:
    store = InMemoryStorage()
    study = _study(name="s", storage=store, direction="maximize")
    study.optimize(_quadratic, n_trials=3)
    loaded = hs.load_study("s", store, sampler=RandomSampler(seed=1))
    assert loaded.name == "s" and loaded.direction == "maximize"
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]


def test_create_and_load_on_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'hs.db'}"
    study = _study(name="sq", storage=url, directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("n", 0, 3)), n_trials=3)
    loaded = hs.load_study("sq", url)
    assert loaded.directions == ("minimize", "maximize")
    assert [(t.number, t.state, t.values, dict(t.params)) for t in loaded.trials] == [
        (t.number, t.state, t.values, dict(t.params)) for t in study.trials
    ]


def test_load_if_exists_resumes_and_a_duplicate_name_is_an_error() -> None:
    store = InMemoryStorage()
    _study(name="dup", storage=store).optimize(_quadratic, n_trials=2)
    with pytest.raises(DuplicatedStudyError, match=r"'dup' exists already; pass load_if_exists"):
        _study(name="dup", storage=store)
    again = _study(name="dup", storage=store, load_if_exists=True)
    again.optimize(_quadratic, n_trials=1)
    assert [t.number for t in again.trials] == [0, 1, 2]
    with pytest.raises(ValueError, match=r"'dup' exists with directions \['minimize'\], not "
                                         r"\['maximize'\]"):
        _study(name="dup", storage=store, direction="maximize", load_if_exists=True)


def test_load_a_missing_study() -> None:
    with pytest.raises(StudyNotFoundError, match=r"no study named 'nope'"):
        hs.load_study("nope", InMemoryStorage())


def test_names_are_made_up_when_not_given() -> None:
    a, b = _study(), _study()
    assert a.name != b.name and a.name.startswith("study-")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"direction": "up"}, r"direction='up' is not valid; use 'minimize' or 'maximize'"),
        ({"directions": ["minimize", "best"]}, r"direction='best' is not valid"),
        ({"directions": []}, r"directions=\[\] is empty"),
        ({"direction": "minimize", "directions": ["minimize"]}, r"direction= or directions="),
    ],
)
def test_direction_errors(kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _study(**kwargs)


def test_directions_are_case_insensitive() -> None:
    assert _study(direction="MAXIMIZE").direction == "maximize"


def test_wrong_sampler_pruner_or_storage_types() -> None:
    with pytest.raises(TypeError, match=r"sampler='random' is not a hyperscout Sampler"):
        hs.create_study(sampler="random")
    with pytest.raises(TypeError, match=r"pruner='median' is not a hyperscout Pruner"):
        _study(pruner="median")
    with pytest.raises(TypeError, match=r"storage=3: expected None, a URL"):
        _study(storage=3)


# -- best_* ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("direction", "best"), [("minimize", 1.0), ("maximize", 9.0)])
def test_best(direction: str, best: float) -> None:
    study = _study(direction=direction)
    for v in (5.0, 1.0, 9.0):
        study.tell(study.ask({"x": hs.Float(0, 1)}), v)
    assert study.best_value == best
    assert study.best_trial.values == (best,)
    assert study.best_params == dict(study.best_trial.params)
    assert [t.values[0] for t in study.best_trials] == [best]


def test_best_without_a_complete_trial() -> None:
    study = _study(name="empty")
    study.tell(study.ask(), state="fail")
    with pytest.raises(ValueError, match=r"study 'empty' has no complete trial yet"):
        _ = study.best_trial
    with pytest.raises(ValueError, match=r"no complete trial"):
        _ = study.best_value
    assert study.best_trials == []


@pytest.mark.parametrize("attr", ["best_trial", "best_value", "best_params"])
def test_multi_objective_best_names_best_trials(attr: str) -> None:
    study = _study(directions=["minimize", "maximize"])
    study.tell(study.ask(), [1.0, 1.0])
    with pytest.raises(RuntimeError, match=rf"study.{attr} is for single-objective studies; "
                                           r"this study has 2 objectives: use study.best_trials"):
        getattr(study, attr)
    with pytest.raises(RuntimeError, match=r"use study.directions"):
        _ = study.direction


def test_best_trials_is_the_pareto_front() -> None:
    study = _study(directions=["minimize", "maximize"])
    for v in ([1, 1], [2, 3], [3, 2], [0, 0], [2, 3]):
        study.tell(study.ask(), v)
    front = sorted((t.number, t.values) for t in study.best_trials)
    assert front == [(0, (1.0, 1.0)), (1, (2.0, 3.0)), (3, (0.0, 0.0)), (4, (2.0, 3.0))]


# -- ask / tell --------------------------------------------------------------------------------
def test_ask_with_a_space_fills_params_and_tell_completes() -> None:
    study = _study(direction="maximize")
    space = {"lr": hs.Float(1e-5, 1e-1, log=True), "units": hs.Int(16, 512, log=True),
             "batch_size": hs.Int(16, 256, step=16), "act": hs.Categorical(["relu", "gelu"])}
    trial = study.ask(space)
    assert set(trial.params) == set(space)
    assert all(space[k].contains(v) for k, v in trial.params.items())
    stored = study.trials[0]
    assert stored.state is S.RUNNING and dict(stored.params) == trial.params  # written at ask
    rec = study.tell(trial, 0.93)
    assert rec.state is S.COMPLETE and rec.value == 0.93


def test_ask_with_fixed_values() -> None:
    study = _study()
    trial = study.ask({"x": hs.Float(0, 1), "c": hs.Categorical(["a", "b"])},
                      fixed={"x": 0.25, "c": "b"})
    assert trial.params == {"x": 0.25, "c": "b"}


@pytest.mark.parametrize("state", ["fail", "pruned", S.FAIL, "PRUNED"])
def test_tell_with_a_state(state) -> None:
    study = _study()
    trial = study.ask()
    trial.report(0.5, step=0)
    rec = study.tell(trial, state=state, error="out of memory" if "fail" in str(state) else None)
    assert rec.state is S.parse(state)
    assert rec.values is None and rec.intermediate_values == {0: 0.5}


def test_tell_by_number_and_tell_errors() -> None:
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"tell\(trial 0\): give values, or state='pruned'"):
        study.tell(trial)
    with pytest.raises(ValueError, match=r"state='pruned'\): values are only for complete"):
        study.tell(trial, 1.0, state="pruned")
    with pytest.raises(ValueError, match=r"tell\(state='running'\): use 'complete', 'pruned'"):
        study.tell(trial, state="running")
    with pytest.raises(TypeError, match=r"tell\(trial='0'\): pass the Trial from ask"):
        study.tell("0", 1.0)
    with pytest.raises(ValueError, match=r"has no trial number 7"):
        study.tell(7, 1.0)
    assert study.tell(0, 2.0).values == (2.0,)
    with pytest.raises(StaleTrialError):
        study.tell(trial, 3.0)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (math.nan, r"returned nan; values must be finite"),
        (math.inf, r"returned inf; values must be finite"),
        ([1.0, 2.0], r"returned 2 value\(s\) for a study with 1 objective\(s\)"),
        ("abc", r"returned 'abc' of type str; return a number"),
        (True, r"returned a bool \(True\)"),
    ],
)
def test_tell_invalid_values_fails_the_trial_with_the_reason(values, reason: str) -> None:
    study = _study()
    rec = study.tell(study.ask(), values)
    assert rec.state is S.FAIL and rec.values is None
    assert rec.error is not None and __import__("re").search(reason, rec.error)


def test_ask_space_must_hold_distributions() -> None:
    study = _study()
    with pytest.raises(TypeError, match=r"ask\(space\): 'x' maps to \(0, 1\); use hs.Float"):
        study.ask({"x": (0, 1)})


# -- optimize: results and failures ------------------------------------------------------------
@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (float("nan"), "returned nan"),
        (float("-inf"), "returned -inf"),
        ((1.0, 2.0), r"returned 2 value\(s\)"),
        ("0.5x", r"returned '0.5x' of type str"),
        (None, r"returned None of type NoneType"),
    ],
)
def test_invalid_objective_values_fail_the_trial_and_the_study_goes_on(result, reason) -> None:
    study = _study()
    study.optimize(lambda t: result if t.number == 0 else t.suggest_float("x", 0, 1), n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [S.FAIL, S.COMPLETE, S.COMPLETE]
    assert __import__("re").search(reason, study.trials[0].error)


def test_an_exception_fails_the_trial_with_its_traceback_and_is_raised() -> None:
    study = _study()

    def objective(trial: hs.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise ZeroDivisionError("boom in the objective")
        return 1.0

    with pytest.raises(ZeroDivisionError, match="boom in the objective"):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [S.COMPLETE, S.FAIL]
    err = study.trials[1].error
    assert "Traceback" in err and "ZeroDivisionError: boom in the objective" in err
    assert "x" in study.trials[1].params  # what was suggested before the failure is kept


def test_caught_exceptions_fail_the_trial_and_the_study_goes_on() -> None:
    study = _study()

    def objective(trial: hs.Trial) -> float:
        if trial.number % 2:
            raise KeyError("odd")
        return trial.number

    study.optimize(objective, n_trials=4, catch=(KeyError,))
    assert [t.state for t in study.trials] == [S.COMPLETE, S.FAIL, S.COMPLETE, S.FAIL]
    assert "KeyError: 'odd'" in study.trials[1].error


def test_keyboard_interrupt_leaves_the_trial_failed_and_propagates() -> None:
    study = _study()

    def objective(trial: hs.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10, catch=(Exception,))
    assert [t.state for t in study.trials] == [S.COMPLETE, S.COMPLETE, S.FAIL]
    assert "KeyboardInterrupt" in study.trials[2].error
    assert not study.get_trials(["running", "waiting"])
    study.optimize(objective, n_trials=1)  # the study is usable afterwards
    assert study.trials[-1].state is S.COMPLETE


def test_pruned_trials() -> None:
    class PruneAfterFirstStep(Pruner):
        needs_history = False

        def decide(self, history, trial):
            return Decision.PRUNE if trial.last_step == 1 else Decision.CONTINUE

    study = _study(pruner=PruneAfterFirstStep())

    def objective(trial: hs.Trial) -> float:
        for step in range(5):
            trial.report(1.0 / (step + 1), step)
            if trial.should_prune():
                raise hs.TrialPruned()
        return 0.0

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [S.PRUNED, S.PRUNED]
    assert study.trials[0].intermediate_values == {0: 1.0, 1: 0.5}


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_trials": -1}, ValueError, r"n_trials=-1\): n_trials must be an int >= 0"),
        ({"n_trials": 2.5}, ValueError, r"n_trials=2.5\)"),
        ({"timeout": 0}, ValueError, r"timeout=0\): timeout must be > 0"),
        ({"n_jobs": 0}, ValueError, r"n_jobs=0\): n_jobs must be >= 1 or -1"),
    ],
)
def test_optimize_argument_errors(kwargs, exc, match: str) -> None:
    with pytest.raises(exc, match=match):
        _study().optimize(_quadratic, **kwargs)


def test_optimize_needs_a_callable() -> None:
    with pytest.raises(TypeError, match=r"func=3\): the objective must be callable"):
        _study().optimize(3, n_trials=1)


# -- enqueue -----------------------------------------------------------------------------------
def test_enqueued_trials_run_first_with_their_values() -> None:
    study = _study()
    study.enqueue_trial({"x": 2.0}, user_attrs={"source": "expert"})
    study.enqueue_trial({"x": -3.0})
    assert [t.state for t in study.trials] == [S.WAITING, S.WAITING]
    study.optimize(_quadratic, n_trials=3)
    assert [t.params["x"] for t in study.trials[:2]] == [2.0, -3.0]
    assert study.trials[0].user_attrs == {"source": "expert"}
    assert study.best_value == 0.0


def test_enqueue_skip_if_exists() -> None:
    study = _study()
    study.enqueue_trial({"x": 1.0})
    study.enqueue_trial({"x": 1.0}, skip_if_exists=True)  # already queued
    assert len(study.trials) == 1
    study.optimize(_quadratic, n_trials=1)
    study.enqueue_trial({"x": 1.0}, skip_if_exists=True)  # already ran
    assert len(study.trials) == 1
    study.enqueue_trial({"x": 1.0})  # without the flag: queued again
    assert len(study.trials) == 2


def test_enqueue_needs_a_dict_and_a_fixed_categorical_must_be_a_choice() -> None:
    study = _study()
    with pytest.raises(TypeError, match=r"enqueue_trial\(params=\[1\]\)"):
        study.enqueue_trial([1])
    study.enqueue_trial({"act": "tanh"})
    with pytest.raises(ValueError, match=r"'tanh' is not one of the choices"):
        study.optimize(lambda t: len(t.suggest_categorical("act", ["relu"])), n_trials=1)


# -- threads, timeout, callbacks, stop ---------------------------------------------------------
def test_n_jobs_threads_run_every_trial_once() -> None:
    study = _study()
    seen_threads = set()

    def objective(trial: hs.Trial) -> float:
        seen_threads.add(threading.get_ident())
        time.sleep(0.002)
        return _quadratic(trial)

    study.optimize(objective, n_trials=20, n_jobs=2)
    assert sorted(t.number for t in study.trials) == list(range(20))
    assert all(t.state is S.COMPLETE for t in study.trials)
    assert len(seen_threads) == 2


def test_n_jobs_minus_one_uses_the_cpus() -> None:
    study = _study()
    study.optimize(_quadratic, n_trials=4, n_jobs=-1)
    assert len(study.trials) == 4


def test_timeout_ends_an_unbounded_run() -> None:
    study = _study()

    def objective(trial: hs.Trial) -> float:
        time.sleep(0.02)
        return _quadratic(trial)

    study.optimize(objective, timeout=0.2)  # no n_trials: only the timeout stops it
    assert len(study.trials) >= 1
    assert all(t.state is S.COMPLETE for t in study.trials)


def test_callbacks_see_every_finished_trial() -> None:
    seen = []
    study = _study()
    study.optimize(_quadratic, n_trials=3,
                   callbacks=[lambda s, t: seen.append((s is study, t.number, t.state))])
    assert seen == [(True, 0, S.COMPLETE), (True, 1, S.COMPLETE), (True, 2, S.COMPLETE)]


def test_study_stop_from_a_callback() -> None:
    study = _study()

    def stop_at_three(s: hs.Study, t) -> None:
        if t.number == 2:
            s.stop()

    study.optimize(_quadratic, n_trials=100, callbacks=[stop_at_three])
    assert len(study.trials) == 3
    study.optimize(_quadratic, n_trials=2)  # stop() ends one run, not the study
    assert len(study.trials) == 5


# -- define-by-run -----------------------------------------------------------------------------
def test_conditional_parameters() -> None:
    def objective(trial: hs.Trial) -> float:
        opt = trial.suggest_categorical("optimizer", ["adam", "sgd"])
        if opt == "sgd":
            trial.suggest_float("momentum", 0.0, 0.99)
        n_layers = trial.suggest_int("n_layers", 1, 3)
        for i in range(n_layers):
            trial.suggest_int(f"units_{i}", 16, 512, log=True)
        return 0.0

    study = _study()
    study.optimize(objective, n_trials=30)
    for t in study.trials:
        assert ("momentum" in t.params) == (t.params["optimizer"] == "sgd")
        units = {k for k in t.params if k.startswith("units_")}
        assert units == {f"units_{i}" for i in range(t.params["n_layers"])}
        assert set(t.distributions) == set(t.params)


def test_reusing_a_name_with_another_kind_is_an_error() -> None:
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(ValueError, match=r"parameter 'x' was defined as float .* now int"):
        study.optimize(lambda t: t.suggest_int("x", 0, 1), n_trials=1)
    assert study.trials[-1].state is S.FAIL
    with pytest.raises(ValueError, match=r"parameter 'c' had choices \['a'\] .* now \['b'\]"):
        study.optimize(lambda t: t.suggest_categorical("c", ["a"])
                       + t.suggest_categorical("c", ["b"]), n_trials=1)


def test_repeated_suggest_returns_the_same_value() -> None:
    def objective(trial: hs.Trial) -> float:
        a = trial.suggest_float("x", 0, 1)
        assert trial.suggest_float("x", 0, 1) == a
        assert trial.suggest_float("x", 0, 5) == a  # a compatible range: still the first value
        c = trial.suggest_categorical("c", ["u", "v"])
        assert trial.suggest_categorical("c", ["u", "v"]) == c
        return a

    study = _study()
    study.optimize(objective, n_trials=3)
    assert all(t.state is S.COMPLETE for t in study.trials)


def test_invalid_suggest_arguments_name_the_parameter() -> None:
    trial = _study().ask()
    with pytest.raises(ValueError, match=r"Float\('lr'\): low=0.0 with log=True"):
        trial.suggest_float("lr", 0, 1, log=True)
    with pytest.raises(ValueError, match=r"Int\('n'\): step=3 does not divide"):
        trial.suggest_int("n", 0, 10, step=3)
    with pytest.raises(ValueError, match=r"parameter name '' must be a non-empty string"):
        trial.suggest_float("", 0, 1)


def test_report_the_same_step_twice_warns_and_keeps_the_first() -> None:
    study = _study()
    trial = study.ask()
    trial.report(0.5, step=3)
    with pytest.warns(UserWarning, match=r"trial 0: step 3 was already reported"):
        trial.report(0.9, step=3)
    assert study.tell(trial, 1.0).intermediate_values == {3: 0.5}


def test_report_argument_errors() -> None:
    trial = _study().ask()
    with pytest.raises(TypeError, match=r"report\(value='high', step=0\)"):
        trial.report("high", 0)
    with pytest.raises(ValueError, match=r"report\(step=-1\): step must be >= 0"):
        trial.report(1.0, -1)


def test_a_finished_trial_cannot_suggest_or_report() -> None:
    study = _study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(RuntimeError, match=r"trial 0 is finished; it cannot suggest 'x'"):
        trial.suggest_float("x", 0, 1)
    with pytest.raises(RuntimeError, match=r"trial 0 is finished; it cannot report"):
        trial.report(1.0, 0)


# -- attributes and records --------------------------------------------------------------------
def test_user_attrs_must_be_json() -> None:
    study = _study()
    trial = study.ask()
    trial.set_user_attr("tags", ["a", 1, None, {"k": 2.5}])
    with pytest.raises(TypeError, match=r"set_user_attr\('model'\): value <object object at .*"
                                        r"is not JSON-serialisable"):
        trial.set_user_attr("model", object())
    with pytest.raises(TypeError, match=r"set_user_attr\('ratio'\): value nan"):
        trial.set_user_attr("ratio", float("nan"))
    assert study.tell(trial, 1.0).user_attrs == {"tags": ["a", 1, None, {"k": 2.5}]}
    study.set_user_attr("dataset", "iris")
    with pytest.raises(TypeError, match=r"study.set_user_attr\('ids'\): value \{1\} is not JSON"):
        study.set_user_attr("ids", {1})
    assert study.user_attrs == {"dataset": "iris"}


def test_trials_are_immutable_records() -> None:
    study = _study()
    study.optimize(_quadratic, n_trials=1)
    t = study.trials[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.state = S.FAIL
    with pytest.raises(TypeError):
        t.params["x"] = 0.0
    assert t.duration is not None and t.datetime_complete >= t.datetime_start
    assert repr(t).startswith("FrozenTrial(number=0, state=COMPLETE")


def test_get_trials_by_state() -> None:
    study = _study()
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state="fail")
    assert [t.number for t in study.get_trials(["fail"])] == [1]
    assert [t.number for t in study.get_trials([S.COMPLETE, S.FAIL])] == [0, 1]


def test_trials_dataframe_columns() -> None:
    pytest.importorskip("pandas")
    study = _study()
    study.optimize(lambda t: t.set_user_attr("tag", "a") or t.suggest_float("x", 0, 1),
                   n_trials=2)
    study.tell(study.ask(), state="fail")
    df = study.trials_dataframe()
    assert list(df.columns) == ["number", "state", "value", "datetime_start",
                                "datetime_complete", "duration", "params_x", "user_attrs_tag"]
    assert df["state"].tolist() == ["COMPLETE", "COMPLETE", "FAIL"]
    assert len(study.trials_dataframe(states=["complete"])) == 2
    multi = _study(directions=["minimize", "maximize"])
    multi.tell(multi.ask({"y": hs.Int(0, 3)}), [1.0, 2.0])
    assert list(multi.trials_dataframe().columns) == [
        "number", "state", "values_0", "values_1", "datetime_start", "datetime_complete",
        "duration", "params_y",
    ]


def test_repr() -> None:
    study = _study(name="r")
    assert repr(study).startswith("Study(name='r', directions=['minimize'], sampler=RandomSampler(")


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_log_line_names_the_best_feasible_trial_so_far(direction) -> None:
    import logging
    import re

    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("hyperscout")
    handler = Keep()
    logger.addHandler(handler)
    try:
        hs.set_verbosity("info")
        values = [3.0, 1.0, 5.0, 0.5, 4.0, 2.0]
        study = hs.create_study(direction=direction,
                                constraints=lambda t: [1.0 if t.values[0] == 0.5 else -1.0])
        for v in values:
            trial = study.ask()
            study.tell(trial, v)
    finally:
        logger.removeHandler(handler)
    lines = [r for r in records if " complete: " in r]
    assert len(lines) == len(values)
    feasible = [v for v in values if v != 0.5]  # 0.5 violates its constraint: never best
    for i, line in enumerate(lines):
        seen = [v for v in values[: i + 1] if v != 0.5]
        want = (min if direction == "minimize" else max)(seen)
        best = float(re.search(r"; best (\S+) \(trial (\d+)\)", line).group(1))
        assert best == want
    assert study.best_value == (min if direction == "minimize" else max)(feasible)
