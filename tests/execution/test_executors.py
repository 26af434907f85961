"""study.optimize with executor="thread" / "process": the shared budget, callbacks in the
driver, errors, and the clear refusals (in-memory storage, unpicklable objective)."""

from __future__ import annotations

import pytest
from worker_objectives import boom, quadratic

import hyperscout as hs
from hyperscout.execution import ProcessExecutor, ThreadExecutor, run_trials
from hyperscout.execution.local import resolve_executor
from hyperscout.trial.state import TrialState


def _study(url=None, **kw):
    return hs.create_study(storage=url, sampler=hs.samplers.RandomSampler(seed=0), **kw)


def test_process_executor_runs_the_budget_with_callbacks_in_the_driver(tmp_path) -> None:
    study = _study(f"sqlite:///{tmp_path / 'p.db'}", heartbeat_interval=1.0)
    seen: list[int] = []
    study.optimize(quadratic, n_trials=12, n_jobs=2, executor="process",
                   callbacks=[lambda s, rec: seen.append(rec.number)])
    trials = study.trials
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted(seen) == list(range(12))
    assert len({t.params["x"] for t in trials}) == 12  # workers were seeded differently
    study.optimize(quadratic, n_trials=3, n_jobs=2, executor=ProcessExecutor())
    assert len(study.trials) == 15  # n_trials counts per call


def test_process_executor_reraises_the_objectives_error(tmp_path) -> None:
    study = _study(f"sqlite:///{tmp_path / 'e.db'}")
    with pytest.raises(ValueError, match="objective exploded"):
        study.optimize(boom, n_trials=4, n_jobs=2, executor="process")
    failed = study.get_trials([TrialState.FAIL])
    assert failed and "objective exploded" in failed[0].error


def test_process_executor_refuses_in_memory_storage_and_lambdas(tmp_path) -> None:
    with pytest.raises(ValueError, match="in-memory storage"):
        _study().optimize(quadratic, n_trials=1, executor="process")
    with pytest.raises(ValueError, match="in-memory storage"):
        _study("sqlite:///:memory:").optimize(quadratic, n_trials=1, executor="process")
    study = _study(f"sqlite:///{tmp_path / 'l.db'}")
    with pytest.raises(ValueError, match="define the objective at module level"):
        study.optimize(lambda t: 1.0, n_trials=1, executor="process")
    with pytest.raises(ValueError, match="executor='gpu'"):
        study.optimize(quadratic, n_trials=1, executor="gpu")
    with pytest.raises(ValueError, match="mp_context='nope'"):
        ProcessExecutor(mp_context="nope")
    assert isinstance(resolve_executor("thread"), ThreadExecutor)


def test_threads_share_the_study_budget_and_stop_together() -> None:
    study = _study()
    study.optimize(quadratic, n_trials=10, n_jobs=3)
    assert len(study.trials) == 10
    study.set_budget(n_trials=4)
    assert run_trials(study, quadratic) == 4
    assert run_trials(study, quadratic) == 0  # spent
    study.set_budget(n_trials=None)
    ran = run_trials(study, quadratic, stop=[hs.stopping.TargetValue(100.0)])
    assert ran == 1  # the stop condition stopped the study for every worker
    assert study.storage.get_budget(study._study_id).stopped
    assert run_trials(study, quadratic) == 0


def test_samplers_see_trials_running_in_other_workers(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = _study(url)
    study.set_budget(n_trials=2)
    other = hs.load_study(study.name, url)
    running = other._start_next_trial()
    running.suggest_float("x", -5.0, 5.0)
    other.storage.update_trial(running.trial_id, **running._take_unsaved())
    seen = []

    def objective(trial):
        seen.append([t.number for t in trial.study._history().running])
        return quadratic(trial)

    assert run_trials(study, objective) == 1  # the other worker holds the other slot
    assert running.number in seen[0]  # ... and its trial is in this sampler's history


def test_a_resumed_study_fails_and_retries_the_crashed_drivers_trials(tmp_path) -> None:
    import time

    url = f"sqlite:///{tmp_path / 'crash.db'}"
    first = _study(url, name="crash", heartbeat_interval=0.1, grace_period=0.3,
                   max_retries=1)
    first.set_budget(n_trials=5)
    orphan = first._start_next_trial()  # the driver "crashes" with this trial running
    orphan.suggest_float("x", -5.0, 5.0)
    first.storage.update_trial(orphan.trial_id, **orphan._take_unsaved())
    time.sleep(0.5)

    again = hs.create_study(name="crash", storage=url, load_if_exists=True,
                            sampler=hs.samplers.RandomSampler(seed=1))
    again.optimize(quadratic, n_trials=2)
    trials = again.trials
    assert trials[0].state is TrialState.FAIL and "heartbeat lost" in trials[0].error
    retry = [t for t in trials if t.system_attrs.get("retried_from") == 0]
    assert len(retry) == 1 and retry[0].state is TrialState.COMPLETE
    assert retry[0].params == trials[0].params
    assert sum(t.state is TrialState.COMPLETE for t in trials) == 3  # the retry + 2 new
